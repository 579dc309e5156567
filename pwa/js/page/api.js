// The protocol of docs/PROTOCOL.md, version 1: nothing else is spoken to the server.

const HEADERS = { "Sodoan-Protocol": "1", "Content-Type": "application/json" };

export class HttpError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.code)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function call(path, body, token) {
  const headers = { ...HEADERS };
  if (token) headers.Authorization = `Bearer ${token}`;
  const resp = await fetch(`/api/v1${path}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (!resp.ok) throw new HttpError(resp.status, data);
  return data;
}
