// Entries as a person thinks of them, above the protocol's mutations: drafts kept on the
// phone until "Gửi" (decision 155), a refused change copied as a new draft, one line per
// entry of the outbox (decision 157), and which values of a conflict this phone wrote
// (decision 158). Works in the page and in the service worker (no DOM).

import * as store from "./db.js";
import { queueUpsert, wireOf } from "./outbox.js";
import { rules } from "./rules.js";

/**
 * Keep `record` as a draft on the phone (`_draft`), with no outbox entry, and drop the
 * form's typing (`draftKey`) in the same transaction. Refused if entries of the record
 * still wait: their answer would settle the record under the draft.
 */
export async function saveDraft(record, { draftKey = null } = {}) {
  const tx = await store.begin(["records", "outbox", "drafts"], "readwrite");
  const left = tx.objectStore("outbox").index("by_id").count(record.id);
  left.onsuccess = () => {
    if (left.result > 0) tx.abort();
  };
  tx.objectStore("records").put({ ...record, status: "draft", _draft: true, _pending: false });
  if (draftKey) tx.objectStore("drafts").delete(draftKey);
  return store.done(tx);
}

/**
 * Throw a draft away: a new entry goes, an edit of a sent record goes back to the
 * server's copy. Only a draft: anything else is left as it is.
 */
export async function dropDraft(id) {
  const tx = await store.begin(["records", "drafts"], "readwrite");
  const records = tx.objectStore("records");
  const req = records.get(id);
  req.onsuccess = () => {
    const rec = req.result;
    if (!rec || !rec._draft) return;
    store.restore(records, rec);
    tx.objectStore("drafts").delete(id);
  };
  return store.done(tx);
}

/**
 * "Gửi" on a draft: finalised (submitted) and queued, the draft mark gone in the same
 * transaction. Only the fields changed since the server's copy go for an edit.
 */
export async function sendDraft(rec) {
  const all = await rules();
  const { _draft, ...kept } = rec;
  const local = { ...kept, status: "submitted" };
  const base = rec.version && rec._server && !rec._server.deleted ? rec._server.record : null;
  const now = wireOf(all, local);
  const changed = base ? Object.keys(now).filter((k) => k !== "recorded_at" && JSON.stringify(now[k]) !== JSON.stringify(base[k])) : null;
  return queueUpsert(local, changed, { draftKey: rec.id });
}

/**
 * A change refused for good (the activity was verified meanwhile) kept as a new draft:
 * a new id, the same contents in the person's branch, while the refused record goes back
 * to the server's copy. One transaction. Returns the new id.
 */
export async function copyAsDraft(rec, homeUnitId) {
  const all = await rules();
  const id = crypto.randomUUID();
  const copy = { id, version: 0, ...wireOf(all, rec), unit_id: homeUnitId || rec.unit_id, status: "draft" };
  const tx = await store.begin("records", "readwrite");
  const records = tx.objectStore("records");
  const req = records.get(rec.id);
  req.onsuccess = () => {
    const now = req.result;
    if (!now || !now._rejected || now._pending) {
      tx.abort();
      return;
    }
    store.restore(records, now);
    records.put({ ...copy, _draft: true, _pending: false });
  };
  await store.done(tx);
  return id;
}

/**
 * The outbox as entries: one per record, in the order first queued, with what will
 * happen to it on the server (`effect`): "create", "edit", "delete", or "nothing" for
 * one created and deleted before anything was sent.
 */
export function pendingEntries(mutations) {
  const byId = new Map();
  for (const m of mutations) {
    const entry = byId.get(m.id) || { id: m.id, mutations: [], first: m };
    entry.mutations.push(m);
    byId.set(m.id, entry);
  }
  return [...byId.values()].map((entry) => {
    const last = entry.mutations[entry.mutations.length - 1];
    const isNew = entry.first.op === "upsert" && !entry.first.base_version;
    let effect = isNew ? "create" : "edit";
    if (last.op === "delete") effect = isNew ? "nothing" : "delete";
    return { ...entry, effect };
  });
}

const AUTHORED = 300; // records remembered: enough for a branch's open conflicts

/**
 * Remember what this phone wrote, as the server applied it (record id → version and the
 * values sent), so a conflict whose kept value is ours is not offered to us to overturn.
 */
export async function rememberAuthored(results, sent) {
  const byN = new Map(sent.map((m) => [m.n, m]));
  const authored = (await store.getMeta("authored")) || {};
  let changed = false;
  for (const r of results) {
    const m = byN.get(r.n);
    if (!m || !["applied", "merged"].includes(r.status) || r.version == null) continue;
    const fields = m.op === "upsert" ? Object.fromEntries(Object.entries(m.record || {}).filter(([k]) => !m.changed || m.changed.includes(k))) : {};
    delete authored[m.id];
    authored[m.id] = { version: r.version, deleted: m.op === "delete", fields };
    changed = true;
  }
  if (!changed) return;
  const ids = Object.keys(authored);
  for (const id of ids.slice(0, Math.max(0, ids.length - AUTHORED))) delete authored[id];
  await store.setMeta({ authored });
}

/** Whether the value a conflict kept (someone else's lost to it) is one this phone wrote. */
export function wonBy(conflict, authored) {
  if (conflict.mine !== false) return false;
  const a = (authored || {})[conflict.record_id];
  if (!a) return false;
  // A field's kept value is ours if we sent that value; a delete that stood, if we deleted
  // it; an edit that stood against someone's delete, if we edited it.
  if (conflict.kind === "field") return conflict.field in a.fields && JSON.stringify(a.fields[conflict.field]) === JSON.stringify(conflict.server_value);
  if (conflict.kind === "edit_deleted") return a.deleted;
  if (conflict.kind === "delete_edited") return !a.deleted;
  return false;
}
