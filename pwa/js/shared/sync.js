// The sync engine: push the outbox in order, then pull pages until has_more is false, then
// refresh the open conflicts. One sync at a time across tabs and the service worker (Web
// Locks). Whatever goes wrong, an outbox entry is dropped only on the server's answer for
// its number. Works in the page and in the service worker (no DOM).

import { call, encode, HttpError, NetworkError } from "./api.js";
import * as store from "./db.js";
import { rememberAuthored } from "./entries.js";
import * as links from "./link.js";
import { mutationOf } from "./outbox.js";
import { rules } from "./rules.js";

const PAGE = 500; // small enough that a dropped 2G link loses little
const SERVER_PAGE = 500; // the server's default page (§5): a limit equal to it is left out
const SHRINKS = 3; // smaller batches tried at once after a time-out or a cut, per sync
const CUT_AFTER_MS = 2000; // a failure sooner than this is no network, not a slow link

/** Why the last sync stopped, as the status line and the sync centre show it. */
function problemOf(err) {
  // A push that got no answer, or a 5xx, may have been applied: the same entries go
  // again and the server answers them from its log (§3). Said so, not "nothing was sent".
  const unconfirmed = !!(err && err.unconfirmed);
  if (err instanceof NetworkError) return { code: "network", retry: true, unconfirmed };
  // Nothing is lost (the failed write's transaction left the store as it was), but nothing
  // new can be kept until the person frees space: tried again later, and said plainly.
  if (err instanceof store.StorageFull) return { code: "storage_full", retry: true };
  if (err instanceof HttpError) {
    // Everything but these is tried again later (with backoff): an outage, a busy
    // server, or a client bug a later version fixes. These need the person.
    const retry = !["device_revoked", "invalid_token", "upgrade_required"].includes(err.code);
    return {
      code: err.code || `http_${err.status}`,
      status: err.status,
      message: err.body.message || null,
      message_en: err.body.message_en || null,
      retry_after: err.retryAfter,
      retry,
      unconfirmed,
    };
  }
  return { code: "client_error", message_en: String((err && err.message) || err), retry: true };
}

/**
 * The longest prefix of `mutations` whose push fits in `budget` bytes as sent (at least
 * one), and its encoded body. Estimated from the JSON's size and gzip's last ratio, then
 * checked on the real compressed body (compressing is cheap next to a 2G upload).
 */
async function fit(deviceId, mutations, budget, ratio) {
  const sizes = mutations.map((m) => new Blob([JSON.stringify(m)]).size + 1);
  let count = 0;
  let raw = 80; // the envelope
  while (count < mutations.length && (count === 0 || (raw + sizes[count]) * ratio <= budget)) {
    raw += sizes[count];
    count += 1;
  }
  for (let tries = 0; ; tries += 1) {
    const encoded = await encode({ device_id: deviceId, mutations: mutations.slice(0, count) });
    if (encoded.bytes <= budget || count === 1 || tries === 3) return { count, encoded };
    count = Math.max(1, Math.floor((count * budget * 0.95) / encoded.bytes));
  }
}

async function pushAll(session) {
  const { protocol } = await rules();
  let maxCount = protocol.max_mutations;
  let maxBytes = protocol.max_body_bytes;
  let link = await links.load();
  let shrinks = 0;
  let renumbered = false;
  for (;;) {
    const entries = await store.outbox();
    if (!entries.length) return;
    const run = [entries[0]];
    while (run.length < maxCount && run.length < entries.length && entries[run.length].n === run[run.length - 1].n + 1) {
      run.push(entries[run.length]);
    }
    const { count, encoded } = await fit(session.device_id, run.map(mutationOf), links.budget(link, maxBytes), link.ratio);
    link = links.compressed(link, encoded);
    const started = Date.now();
    let answer;
    try {
      answer = await call("/sync/push", undefined, session.token, { encoded, timeoutMs: links.timeout(link, encoded.bytes) });
    } catch (err) {
      const took = Date.now() - started;
      const slow = err instanceof NetworkError && (err.timedOut || took >= CUT_AFTER_MS);
      if (slow) {
        // Too slow for the link (our time-out), or cut on the way (a proxy's or worker's
        // time-out, a dropped radio link): smaller batches from now on. Resending a
        // shorter prefix at once is safe: the batch may have been applied after all, but
        // the server remembers the last number it applied for this device and answers a
        // resent number from its log instead of applying it again (§3), and the entries
        // after the prefix keep their numbers, so none is skipped either.
        link = links.failed(link, encoded.bytes, took);
        await links.save(link);
        if (count > 1 && shrinks < SHRINKS) {
          shrinks += 1;
          continue;
        }
      }
      if (err instanceof HttpError && err.status === 413 && count > 1) {
        // Over the server's limits (a rules file older than the server): take its figure
        // when it says one, or halve.
        if (err.code === "batch_too_large") maxCount = Math.min(count - 1, err.body.limit || Math.floor(count / 2));
        else maxBytes = Math.min(maxBytes, err.body.limit_bytes || maxBytes, Math.floor(encoded.bytes / 2));
        continue;
      }
      const numbering = ["mutation_gap", "mutation_mismatch"].includes(err instanceof HttpError && err.code);
      if (numbering && !renumbered && err.body.expected) {
        // The server has applied nothing from `expected` on: the waiting entries can take
        // those numbers without any of them being applied twice or skipped. (A mismatch:
        // this store reused numbers another copy of it already sent, e.g. restored from
        // an older backup; what it holds was never applied under these numbers.)
        renumbered = true;
        await store.renumber(err.body.expected);
        continue;
      }
      if (slow || (err instanceof HttpError && err.status >= 500)) err.unconfirmed = true;
      throw err;
    }
    link = links.answered(link, encoded.bytes, Date.now() - started);
    await links.save(link);
    await store.acknowledge(answer.results);
    await rememberAuthored(answer.results, run.slice(0, count));
  }
}

async function pullAll(session) {
  let resynced = false;
  for (;;) {
    const entries = await store.outbox();
    const oldest = entries.reduce((min, m) => (!min || m.typed_at < min ? m.typed_at : min), null);
    // The lean poll (§5): the token names the device, the default page needs no limit, and
    // the outbox report goes only when it differs from the last one the server took.
    const body = {
      cursor: (await store.getMeta("cursor")) || null,
      reference: ((await store.getMeta("reference")) || {}).hash || null,
    };
    if (PAGE !== SERVER_PAGE) body.limit = PAGE;
    const report = { count: entries.length, oldest };
    const reported = await store.getMeta("outbox_reported");
    if (!reported || reported.count !== report.count || reported.oldest !== report.oldest) body.outbox = report;
    let page;
    try {
      page = await call("/sync/pull", body, session.token, { bare: true });
    } catch (err) {
      if (err instanceof HttpError && err.code === "resync_required" && !resynced) {
        // The outbox was pushed just before; rebuild everything else from a full download.
        // A restored server may hold an older report: the next pull sends it again.
        resynced = true;
        await store.forgetSynced();
        await store.setMeta({ outbox_reported: null });
        continue;
      }
      throw err;
    }
    if (body.outbox) await store.setMeta({ outbox_reported: report });
    await store.applyPage(page.changes, page.cursor, page.reference);
    if (!page.has_more) return;
  }
}

async function refreshConflicts(session) {
  const answer = await call("/conflicts", undefined, session.token, { method: "GET" });
  await store.replaceConflicts(answer.conflicts || []);
}

async function run() {
  let session;
  try {
    session = await store.getMeta("session");
  } catch (err) {
    if (err instanceof store.StorageFull) return { ok: false, ...problemOf(err) };
    throw err;
  }
  if (!session || session.blocked) return { ok: false, code: session ? session.blocked : "signed_out" };
  try {
    await pushAll(session);
    await pullAll(session);
    await refreshConflicts(session);
  } catch (err) {
    const problem = problemOf(err);
    if (problem.code === "device_revoked" || problem.code === "invalid_token") {
      // Keep every entry; the user signs in again with the same device id (§2).
      await store.setMeta({ session: { ...session, blocked: problem.code } });
    }
    try {
      if (problem.code === "upgrade_required") await store.setMeta({ upgrade_required: true });
      await store.setMeta({ sync_error: { ...problem, at: new Date().toISOString() } });
    } catch (stored) {
      // A full store cannot keep the reason either: the caller still hears it.
      if (!(stored instanceof store.StorageFull)) throw stored;
    }
    return { ok: false, ...problem };
  }
  await store.setMeta({ last_sync: new Date().toISOString(), sync_error: undefined, upgrade_required: undefined });
  return { ok: true };
}

/** Sync once; waits for a sync already running in another tab rather than overlap it. */
export async function syncNow() {
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request("sodoan-sync", run);
  }
  return run();
}

/** Signing in as someone else would wipe the previous person's refused entries. */
export class EntriesKept extends Error {
  constructor(count, user) {
    super(`${count} refused entries of ${user.full_name || user.username} are kept`);
    this.count = count;
    this.user = user;
  }
}

/** Sign a device in (§2). Keeps the device id across sign-ins so waiting entries stay its own. */
export async function signIn(credentials) {
  const previous = await store.getMeta("session");
  let deviceId = (await store.getMeta("device_id")) || crypto.randomUUID();
  const waiting = await store.count("outbox");
  const body = { ...credentials, device_id: deviceId, device_name: deviceName() };
  let answer;
  try {
    answer = await call("/devices", body);
  } catch (err) {
    if (err instanceof HttpError && err.code === "device_taken" && waiting === 0) {
      deviceId = crypto.randomUUID();
      answer = await call("/devices", { ...body, device_id: deviceId });
    } else {
      throw err;
    }
  }
  if (previous && previous.user && previous.user.id !== answer.user.id) {
    // Another person on this phone: their data must not mix with the last one's. But the
    // last one's refused entries, still to be fixed, and drafts, still to be sent, are
    // theirs to keep (as at sign-out).
    const refused = (await store.all("records")).filter((r) => r._rejected || r._draft).length;
    if (refused) throw new EntriesKept(refused, previous.user);
    await store.wipe();
  }
  await store.setMeta({
    device_id: deviceId,
    session: { token: answer.token, device_id: deviceId, user: answer.user },
    sync_error: undefined,
  });
  return answer.user;
}

function deviceName() {
  const ua = (typeof navigator !== "undefined" && navigator.userAgent) || "";
  const model = /Android [^;)]*;\s*([^;)]+)/.exec(ua);
  return (model ? model[1] : ua).slice(0, 100) || "Điện thoại";
}

/** Resolve a conflict online (§4); the result comes back with the next pull. */
export async function resolveConflict(id, choice) {
  const session = await store.getMeta("session");
  try {
    await call(`/conflicts/${encodeURIComponent(id)}/resolve`, { choice }, session.token);
  } catch (err) {
    if (!(err instanceof HttpError && err.code === "conflict_resolved")) throw err;
  }
  await store.deleteConflict(id);
  return syncNow();
}
