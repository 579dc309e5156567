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

/**
 * No answer at all: no network, a dropped connection, or our own time-out (`timedOut`).
 * Try again later. Whatever was sent may or may not have reached the server.
 */
export class NetworkError extends Error {
  constructor(message, { timedOut = false } = {}) {
    super(message);
    this.timedOut = timedOut;
  }
}

/**
 * A request body as it goes on the wire. Over 1 KB it is gzipped where the browser can
 * (the server accepts gzip request bodies, §1): on 2G the upload is the slow part of a
 * push. `bytes` is what crosses the link, `raw` the JSON's own size.
 */
export async function encode(body) {
  const text = JSON.stringify(body);
  const blob = new Blob([text]);
  if (text.length > 1024 && typeof CompressionStream === "function") {
    const data = await new Response(blob.stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
    return { data, gzip: true, bytes: data.byteLength, raw: blob.size };
  }
  return { data: text, gzip: false, bytes: blob.size, raw: blob.size };
}

/** Retry-After as seconds (a number of seconds or an HTTP date), or null. */
function retryAfterOf(value) {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds > 0 ? seconds : null;
  const at = Date.parse(value);
  return Number.isFinite(at) && at > Date.now() ? (at - Date.now()) / 1000 : null;
}

/**
 * One request. `encoded` is a body already made by `encode` (a push sizes its batch by
 * it); `timeoutMs` how long to wait for the whole answer before giving up on it; `bare`
 * sends the body with no Content-Type at all (the server reads every body as JSON, §1):
 * the idle poll, where each header byte is paid on every poll.
 */
export async function call(path, body, token, { method = "POST", encoded = null, timeoutMs = TIMEOUT_MS, bare = false } = {}) {
  const headers = { "Sodoan-Protocol": PROTOCOL };
  if (token) headers.Authorization = `Bearer ${token}`;
  // The API is authorised by the device token alone: no cookie, no Referer on the wire.
  const init = { method, headers, credentials: "omit", referrerPolicy: "no-referrer" };
  const sent = encoded || (body !== undefined ? await encode(body) : null);
  if (sent) {
    if (!bare) headers["Content-Type"] = "application/json";
    if (sent.gzip) headers["Content-Encoding"] = "gzip";
    // Bytes, not a string: the browser then adds no "text/plain" Content-Type of its own.
    init.body = bare && typeof sent.data === "string" ? new TextEncoder().encode(sent.data) : sent.data;
  }
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  init.signal = abort.signal;
  let resp;
  let data = null;
  try {
    resp = await fetch(`/api/v1${path}`, init);
    try {
      data = await resp.json();
    } catch (err) {
      // An answer cut short by our time-out is no answer; one that is not JSON is an
      // error page (a proxy's), judged by its status below.
      if (timedOut) throw err;
      data = null;
    }
  } catch (err) {
    throw new NetworkError(timedOut ? `no answer within ${timeoutMs} ms` : err && err.message, { timedOut });
  } finally {
    clearTimeout(timer);
  }
  if (!resp.ok) throw new HttpError(resp.status, data, retryAfterOf(resp.headers.get("Retry-After")));
  return data;
}
