// The phone's evidence photos (docs/PROTOCOL.md §9): each is a synced `evidence` record
// (store "evidence"), its bytes while they wait to upload ("photos": {id, blob, problem})
// and its thumbnail ("thumbs": {id, blob}), which stays after the bytes are released.
// A photo added on the entry form is "staged" with the form's draft until the activity is
// saved, then queued after it; one added to a saved activity is queued at once. Record,
// bytes, thumbnail and outbox entry are written in one transaction: all or nothing.

import * as store from "../shared/db.js";
import { PROTOCOL } from "../shared/api.js";
import { nowWithZone } from "../shared/time.js";

const COLLECTION = "evidence";
export const FIELDS = ["activity_id", "sha256", "size", "content_type", "width", "height", "captured_at", "caption"];
// Kept free on the phone beyond a new photo's bytes, for the records still to be typed.
export const SPARE_BYTES = 20 * 1024 * 1024;

function withZone(date) {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const local = new Date(date.getTime() + offset * 60000).toISOString().slice(0, 19);
  return `${local}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

function wire(rec) {
  return Object.fromEntries(FIELDS.map((k) => [k, rec[k]]));
}

function draftOwner(draftKey) {
  return `draft:${draftKey}`;
}

async function queue(rec, op, { also = null } = {}) {
  const mutation = { collection: COLLECTION, op, id: rec.id, base_version: op === "delete" ? rec.version || null : null, typed_at: nowWithZone() };
  if (op === "upsert") Object.assign(mutation, { record: wire(rec), changed: null });
  const { _rejected, _staged, ...kept } = rec;
  const local = op === "delete" ? { ...kept, _pending: true, _deleting: true } : { ...kept, _pending: true };
  return store.saveLocal(local, mutation, { also });
}

/** The phone's free space as the browser tells it ({usage, quota, free}), or null. */
export async function space() {
  if (!(typeof navigator !== "undefined" && navigator.storage && navigator.storage.estimate)) return null;
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  return { usage, quota, free: Math.max(0, quota - usage) };
}

/** The room is short: a new photo would leave less than SPARE_BYTES for everything else. */
export class NoRoom extends Error {}

/**
 * Keep a shrunk photo (encode.js's `shrink`) for `activityId`, or staged with the form's
 * draft (`draftKey`) until the activity is saved. `file` gives the capture time.
 */
export async function addPhoto(shrunk, { activityId = null, draftKey = null, capturedAt = null }) {
  const room = await space();
  if (room && room.quota && room.free < shrunk.size + shrunk.thumb.size + SPARE_BYTES) throw new NoRoom();
  const rec = {
    id: crypto.randomUUID(),
    version: 0,
    activity_id: activityId || draftOwner(draftKey),
    sha256: shrunk.sha256,
    size: shrunk.size,
    content_type: shrunk.type,
    width: shrunk.width,
    height: shrunk.height,
    captured_at: withZone(capturedAt || new Date()),
    caption: "",
  };
  const bytes = { id: rec.id, blob: shrunk.blob, problem: null, added: Date.now() };
  const thumb = { id: rec.id, blob: shrunk.thumb };
  if (activityId) {
    await queue(rec, "upsert", { also: { photos: bytes, thumbs: thumb } });
  } else {
    // Staged: no outbox entry until the activity itself is queued.
    await store.putAll({ evidence: { ...rec, _staged: draftKey }, photos: bytes, thumbs: thumb });
  }
  return rec;
}

/** The photos shown for an activity (or a form's draft): records with thumbnail and bytes state. */
export async function photosOf({ activityId = null, draftKey = null }) {
  const recs = await store.allBy("evidence", "by_activity", activityId || draftOwner(draftKey));
  const shown = recs.filter((r) => !r._deleting);
  return Promise.all(shown.map(async (rec) => {
    const [thumb, bytes] = await Promise.all([store.get("thumbs", rec.id), store.get("photos", rec.id)]);
    return { rec, thumb: thumb ? thumb.blob : null, waiting: !!bytes, problem: bytes ? bytes.problem : null };
  }));
}

/** The form was saved as `activityId`: its staged photos are queued after it. */
export async function commitStaged(draftKey, activityId) {
  for (const rec of await store.allBy("evidence", "by_activity", draftOwner(draftKey))) {
    await queue({ ...rec, activity_id: activityId }, "upsert");
  }
  await sendStaged(activityId);
  await resendRefused(activityId);
}

/**
 * The form was saved as a draft, which stays on the phone (decision 155): its photos stay
 * staged with it, under its id, until it is sent — never queued for an activity the
 * server has not been sent.
 */
export async function stageWithDraft(draftKey, activityId) {
  for (const rec of await store.allBy("evidence", "by_activity", draftOwner(draftKey))) {
    await store.putAll({ evidence: { ...rec, activity_id: activityId, _staged: draftKey } });
  }
}

/** A draft was sent ("Gửi"): the photos staged with it are queued after it. */
export async function sendStaged(activityId) {
  for (const rec of await store.allBy("evidence", "by_activity", activityId)) {
    if (rec._staged) await queue(rec, "upsert");
  }
}

/** Refused photos of an activity that has just been fixed and sent again go again too. */
export async function resendRefused(activityId) {
  for (const rec of await store.allBy("evidence", "by_activity", activityId)) {
    if (rec._rejected && !rec._pending && !rec.version) await queue(rec, "upsert");
  }
}

/** The form was cancelled: its staged photos go with the draft. */
export async function discardStaged(draftKey) {
  for (const rec of await store.allBy("evidence", "by_activity", draftOwner(draftKey))) {
    await store.remove(["evidence", "photos", "thumbs"], rec.id);
  }
}

/** The person removes one photo: a delete goes to the server if it ever heard of it. */
export async function removePhoto(rec) {
  if (rec._staged || (!rec.version && !rec._pending)) {
    await store.remove(["evidence", "photos", "thumbs"], rec.id);
    return;
  }
  await queue(rec, "delete");
  await store.remove(["photos", "thumbs"], rec.id);
}

/**
 * The activity was deleted on this phone: its photos go. The server deletes their records
 * with the activity (and every phone hears of it); entries already queued for them are
 * answered like any other, for a record the phone no longer has.
 */
export async function forgetActivity(activityId) {
  for (const rec of await store.allBy("evidence", "by_activity", activityId)) {
    await store.remove(["evidence", "photos", "thumbs"], rec.id);
  }
}

/** How many photos wait to upload and how many bytes they take on the phone. */
export async function waiting() {
  const items = await store.all("photos");
  return { count: items.length, bytes: items.reduce((sum, p) => sum + (p.blob ? p.blob.size : 0), 0) };
}

/** A thumbnail another phone took (stored on the server), fetched once and kept. */
export async function remoteThumb(id, token) {
  const kept = await store.get("thumbs", id);
  if (kept) return kept.blob;
  if (typeof navigator !== "undefined" && !navigator.onLine) return null;
  let resp;
  try {
    resp = await fetch(`/api/v1/evidence/${encodeURIComponent(id)}/thumb`, {
      headers: { "Sodoan-Protocol": PROTOCOL, Authorization: `Bearer ${token}` },
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch (err) {
    return null; // no network after all: tried again when the screen is next drawn
  }
  if (!resp.ok) return null;
  const blob = await resp.blob();
  await store.putAll({ thumbs: { id, blob, remote: true } });
  return blob;
}
