// The protocol of docs/PROTOCOL.md, version 1: nothing else is spoken to the server.
// Works in the page and in the service worker (no DOM).

export const PROTOCOL = "1";
const TIMEOUT_MS = 60000;

/** The server answered with an error: `code` is what the client branches on. */
export class HttpError extends Error {
  constructor(status, body, retryAfter = null) {
    super((body && (body.message || body.code)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.code = this.body.code || null;
    /** Seconds the server asked us to wait (503, 429), or null. */
    this.retryAfter = retryAfter;
  }
}

/** No answer at all: no network, a time-out, a dropped connection. Try again later. */
export class NetworkError extends Error {}

async function gzip(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

/**
 * One request. Bodies over 1 KB are gzipped where the browser can (the server accepts
 * gzip request bodies, §1): on 2G the upload is the slow part of a push.
 */
export async function call(path, body, token, { method = "POST" } = {}) {
  const headers = { "Sodoan-Protocol": PROTOCOL };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers };
  if (body !== undefined) {
    const text = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
    if (text.length > 1024 && typeof CompressionStream === "function") {
      headers["Content-Encoding"] = "gzip";
      init.body = await gzip(text);
    } else {
      init.body = text;
    }
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  init.signal = abort.signal;
  let resp;
  let data = null;
  try {
    resp = await fetch(`/api/v1${path}`, init);
    try {
      data = await resp.json();
    } catch {
      data = null;
    }
  } catch (err) {
    throw new NetworkError(err && err.message);
  } finally {
    clearTimeout(timer);
  }
  if (!resp.ok) {
    const wait = Number(resp.headers.get("Retry-After"));
    throw new HttpError(resp.status, data, Number.isFinite(wait) && wait > 0 ? wait : null);
  }
  return data;
}
