// Sending the photos' bytes (docs/PROTOCOL.md §9.2): one photo at a time, after the outbox
// has been pushed (the server must know the record first), in chunks the server
// acknowledges. After a cut it asks the server how much it holds and goes on from there,
// never from zero. The bytes are released only when the server says `complete` (it has
// checked the whole file's SHA-256); the thumbnail stays. Loaded only when photos wait.

import { HttpError, NetworkError, PROTOCOL } from "../shared/api.js";
import * as store from "../shared/db.js";
import { sha256 } from "./encode.js";

const SMALL = 32 * 1024; // 2G: a lost chunk costs ~1 s of the link
const LARGE = 256 * 1024;
const UNKNOWN = 64 * 1024; // the browser does not say (Safari, Firefox): adapt from there
const CHUNK_TARGET_S = 8; // a chunk slower than this: the next ones are halved
const TIMEOUT_MS = 60000;
const WAIT_AT_MOST_S = 60; // a longer Retry-After: stop, the next sync comes back

/** The browser's own view of the link (Chromium: navigator.connection), or {}. */
function connection() {
  return (typeof navigator !== "undefined" && navigator.connection) || {};
}

/**
 * Chunk size for the link: 32 KiB on 2G (Chromium's effectiveType, or a downlink estimate
 * of 2G rates: its effectiveType calls an 800 ms, 280 kbit/s link "3g"), 256 KiB on a
 * good link, 64 KiB when the browser does not say (Safari, Firefox).
 */
export function firstChunk() {
  const { effectiveType: type, downlink } = connection();
  if (type === "slow-2g" || type === "2g" || (typeof downlink === "number" && downlink > 0 && downlink <= 0.4)) return SMALL;
  if (type === "3g") return 128 * 1024;
  if (type === "4g") return LARGE;
  return UNKNOWN;
}

/** Smaller after a chunk slower than CHUNK_TARGET_S (a link worse than it says), never larger. */
function nextChunk(current, ms) {
  return ms > CHUNK_TARGET_S * 1000 ? Math.max(SMALL, current / 2) : current;
}

/**
 * Whether photos may go now. With "only on Wi-Fi" set, a link the browser names as
 * cellular holds them; a browser that does not name the link (only Chromium on Android
 * and ChromeOS does) cannot tell, and the photos go (decision 152).
 */
export function allowed(wifiOnly) {
  if (!wifiOnly) return true;
  const type = connection().type;
  return !type || !["cellular", "bluetooth", "wimax", "other"].includes(type);
}

function retryAfter(value) {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

async function request(method, id, token, { offset = null, body = null } = {}) {
  const headers = { "Sodoan-Protocol": PROTOCOL, Authorization: `Bearer ${token}` };
  if (body) {
    headers["Upload-Offset"] = String(offset);
    headers["Content-Type"] = "application/offset+octet-stream";
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  let resp;
  let data = null;
  try {
    resp = await fetch(`/api/v1/evidence/${encodeURIComponent(id)}/upload`, {
      method, headers, body, credentials: "omit", referrerPolicy: "no-referrer", signal: abort.signal,
    });
    try {
      data = await resp.json();
    } catch (err) {
      data = null; // not JSON: a proxy's error page, judged by its status
    }
  } catch (err) {
    throw new NetworkError(String((err && err.message) || err));
  } finally {
    clearTimeout(timer);
  }
  if (!resp.ok) throw new HttpError(resp.status, data, retryAfter(resp.headers.get("Retry-After")));
  return data;
}

function tell(detail) {
  if (typeof self.dispatchEvent === "function") self.dispatchEvent(new CustomEvent("sodoan-upload", { detail }));
}

/** Why this photo stays on the phone: a code the screens turn into words, and the server's message. */
async function keepWith(id, problem) {
  const item = await store.get("photos", id);
  if (item) await store.putAll({ photos: { ...item, problem: { ...problem, at: new Date().toISOString() } } });
}

/** Stop everything (no network, the server busy or refusing the device): not this photo's fault. */
class Stop extends Error {
  constructor(problem) {
    super(problem.code);
    this.problem = problem;
  }
}

const PHOTO_PROBLEMS = ["hash_mismatch", "not_an_image", "image_too_large", "upload_too_large", "quota_exceeded", "not_found", "unsupported_media_type", "bad_offset"];

async function uploadOne(item, rec, token, progress) {
  let status = await request("GET", item.id, token);
  let offset = status.offset || 0;
  let blob = item.blob;
  let retried = false;
  let mismatches = 0;
  let chunk = firstChunk();
  while (!status.complete) {
    progress(item.id, offset, blob.size);
    const piece = blob.slice(offset, offset + chunk);
    const started = Date.now();
    try {
      status = await request("PATCH", item.id, token, { offset, body: await piece.arrayBuffer() });
      chunk = nextChunk(chunk, Date.now() - started);
      offset = status.offset;
      mismatches = 0;
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      // Nothing was written: go on from what the server holds (a chunk whose answer was
      // lost). Not for ever: a server that keeps moving its offset is answered next sync.
      if (err.code === "offset_mismatch" && Number.isInteger(err.body.offset) && mismatches < 3) {
        mismatches += 1;
        offset = err.body.offset;
        continue;
      }
      if (err.code === "hash_mismatch" && !retried) {
        // The server threw the partial file away. Read the kept bytes again (the store,
        // not memory) and check them before a second and last try.
        retried = true;
        const again = await store.get("photos", item.id);
        if (!again || (await sha256(again.blob)) !== rec.sha256) throw err;
        blob = again.blob;
        offset = 0;
        continue;
      }
      throw err;
    }
  }
  progress(item.id, blob.size, blob.size);
  // Checked by the server against the record's hash: the bytes may go, the thumbnail stays.
  await store.remove(["photos"], item.id);
}

/**
 * Upload every photo whose record the server has acknowledged, oldest first. Returns
 * {ok, sent, left, problem}. One run at a time across tabs (Web Locks).
 */
export async function uploadAll() {
  const run = async () => {
    const session = await store.getMeta("session");
    const held = !session || session.blocked ? "signed_out" : !allowed(!!(await store.getMeta("photos_wifi_only"))) ? "waiting_wifi" : null;
    if (held) {
      tell({ stopped: held });
      return { ok: false, problem: { code: held } };
    }
    const items = (await store.all("photos")).sort((a, b) => (a.added || 0) - (b.added || 0));
    const ready = [];
    for (const item of items) {
      // A photo the server refused waits for the person ("Thử lại"): sent again by
      // itself, it would be refused again, at the link's cost.
      if (item.problem) continue;
      const rec = await store.get("evidence", item.id);
      // Only once the server has the record: acknowledged (a version), nothing waiting.
      if (rec && rec.version && !rec._pending && !rec._rejected && !rec._staged) ready.push({ item, rec });
    }
    const total = ready.reduce((sum, r) => sum + r.item.blob.size, 0);
    const done = new Map();
    const progress = (id, sent, size) => {
      done.set(id, sent);
      const sentAll = [...done.values()].reduce((a, b) => a + b, 0);
      tell({ id, sent, size, total, sent_total: sentAll });
    };
    let sent = 0;
    for (let i = 0; i < ready.length; i += 1) {
      const { item, rec } = ready[i];
      try {
        await uploadOne(item, rec, session.token, progress);
        sent += 1;
      } catch (err) {
        if (err instanceof HttpError && err.status === 503 && err.retryAfter && err.retryAfter <= WAIT_AT_MOST_S) {
          await new Promise((resolve) => setTimeout(resolve, err.retryAfter * 1000));
          i -= 1; // the same photo again, from what the server holds
          continue;
        }
        if (err instanceof HttpError && PHOTO_PROBLEMS.includes(err.code)) {
          // This photo cannot go as it is: kept, with the server's reason; the next one goes.
          await keepWith(item.id, { code: err.code, message: err.body.message || null, message_en: err.body.message_en || null });
          tell({ id: item.id, problem: err.code });
          continue;
        }
        const problem = err instanceof HttpError
          ? { code: err.code || `http_${err.status}`, status: err.status, retry_after: err.retryAfter }
          : { code: err instanceof NetworkError ? "network" : "client_error", message_en: String(err && err.message) };
        if (err instanceof HttpError && (err.status === 401 || ["device_revoked", "invalid_token"].includes(err.code))) {
          // As the sync client does: the photos stay; the person signs in again (§2).
          await store.setMeta({ session: { ...session, blocked: err.code || "invalid_token" } });
        }
        tell({ id: item.id, stopped: problem.code });
        return { ok: false, sent, left: ready.length - sent, problem };
      }
    }
    tell({ finished: true, sent });
    return { ok: true, sent, left: 0 };
  };
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request("sodoan-upload", { ifAvailable: true }, (lock) => (lock ? run() : { ok: false, problem: { code: "busy" } }));
  }
  return run();
}

let retryTimer = null;
let failures = 0;

/**
 * `uploadAll`, and again later after a cut or a server error: 15 s doubling to 15 min,
 * with jitter. A 2G link that drops and comes back often fires no `online` event, and
 * the next sync may be minutes away; the photo goes on from the server's offset.
 */
export async function uploadSoon() {
  clearTimeout(retryTimer);
  const outcome = await uploadAll();
  const problem = outcome.problem || {};
  if (problem.code === "network" || problem.status >= 500) {
    failures += 1;
    const base = Math.min(15 * 60 * 1000, 15 * 1000 * 2 ** (failures - 1));
    retryTimer = setTimeout(() => uploadSoon().catch(() => {}), Math.round(base * (0.5 + Math.random())));
  } else if (outcome.ok) {
    failures = 0;
  }
  return outcome;
}
