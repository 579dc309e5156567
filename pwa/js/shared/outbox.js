// The outbox: the only module that knows what a mutation looks like (§3). Screens say what
// the person did (queueUpsert, queueDelete, refile); the sync client sends what waits
// (mutationOf). A record and its entry are always written in one transaction (db.js).
// Works in the page and in the service worker (no DOM).

import * as store from "./db.js";
import { rules } from "./rules.js";
import { nowWithZone } from "./time.js";

const COLLECTION = "activities";

/** The record's own fields as the protocol sends them: no id, version or local marks. */
export function wireOf(all, rec) {
  const out = {};
  for (const name of all.record_fields) if (rec[name] !== undefined) out[name] = rec[name];
  return out;
}

/**
 * Queue the person's create or edit of `record`, the record as the phone keeps it ({id,
 * version, ...fields} and local marks; `version` 0 for one the server has never
 * acknowledged). `changed`: the fields changed since that version (null: all of them).
 * `draftKey`: the form's draft, dropped in the same transaction.
 */
export async function queueUpsert(record, changed = null, { draftKey = null } = {}) {
  const all = await rules();
  const mutation = {
    collection: COLLECTION,
    op: "upsert",
    id: record.id,
    base_version: record.version || null,
    record: wireOf(all, record),
    changed,
    typed_at: nowWithZone(),
  };
  return store.saveLocal({ ...record, _pending: true }, mutation, { draftKey });
}

/** Queue the person's delete of `record`; it shows as "waiting to delete" until answered. */
export async function queueDelete(record) {
  const { _rejected, ...kept } = record;
  const mutation = {
    collection: COLLECTION,
    op: "delete",
    id: record.id,
    base_version: record.version || null,
    typed_at: nowWithZone(),
  };
  return store.saveLocal({ ...kept, _pending: true, _deleting: true }, mutation);
}

/** The entry as a push sends it (§3). */
export function mutationOf(entry) {
  const { n, collection, op, id, base_version: baseVersion, record, changed } = entry;
  const m = { n, collection, op, id, base_version: baseVersion };
  if (op === "upsert") m.record = record;
  if (changed) m.changed = changed;
  return m;
}

/**
 * Refused because it belongs to a branch the person is no longer in: typed before they
 * were moved, it names their old unit, which they may no longer write (`forbidden`).
 */
export function movedAway(rec, reference) {
  const home = reference && reference.home_unit_id;
  const reason = rec._rejected && rec._rejected.reason;
  return !!(home && reason && reason.code === "forbidden" && rec.unit_id !== home);
}

/**
 * Whether `refile` may take it: a record the server never accepted. An edit of one the old
 * branch holds is not copied (the activity would count twice); it can only be discarded.
 */
export function canRefile(rec, reference) {
  return movedAway(rec, reference) && !rec.version && !rec._pending;
}

/**
 * File a refused entry again in the person's current branch: a new record (new id) with
 * the same contents, queued as a create, while the refused one goes, in one transaction,
 * so the entry is never lost nor kept twice. Returns the new id.
 */
export async function refile(rec, homeUnitId) {
  const all = await rules();
  const id = crypto.randomUUID();
  const record = { ...wireOf(all, rec), unit_id: homeUnitId };
  const mutation = {
    collection: COLLECTION,
    op: "upsert",
    id,
    base_version: null,
    record,
    changed: null,
    typed_at: nowWithZone(),
  };
  await store.saveLocal({ id, version: 0, ...record, _pending: true }, mutation, { replaces: rec.id });
  return id;
}
