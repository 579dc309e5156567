// The phone's store: records of its scope, the outbox of unsent mutations, sync state,
// open conflicts and form drafts. One module owns opening and upgrading; each upgrade step
// runs once, in order, so a phone that skipped versions still walks every step.
//
// A record is {id, version, ...fields} plus local marks: _pending (an outbox entry waits),
// _deleting (a delete waits), _rejected ({reason, errors}: the server refused the last
// change), _draft (saved as a draft: kept on the phone only, nothing queued; decision
// 155), _server ({version, deleted, record}: a pulled copy set aside while entries wait).
// Works in the page and in the service worker (no DOM).

const NAME = "sodoan";
export const VERSION = 3;

let opening = null;

const STEPS = [
  null,
  // 1: the first release.
  (db) => {
    db.createObjectStore("records", { keyPath: "id" });
    db.createObjectStore("outbox", { keyPath: "n" }).createIndex("by_id", "id");
    db.createObjectStore("meta");
  },
  // 2: conflicts shown in the sync centre, and drafts of the entry form.
  (db) => {
    db.createObjectStore("conflicts", { keyPath: "id" });
    db.createObjectStore("drafts");
  },
  // 3: evidence photos (js/photo/): their synced records, the bytes waiting to upload and
  // the thumbnails, each in its own store so a list reads no image bytes.
  (db) => {
    db.createObjectStore("evidence", { keyPath: "id" }).createIndex("by_activity", "activity_id");
    db.createObjectStore("photos", { keyPath: "id" });
    db.createObjectStore("thumbs", { keyPath: "id" });
  },
];

/** Where the phone keeps a record of `collection` (the outbox and a pull name it). */
export function storeOf(collection) {
  return collection === "evidence" ? "evidence" : "records";
}

export class StorageFull extends Error {}

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(NAME, VERSION);
      req.onupgradeneeded = (event) => {
        for (let v = event.oldVersion + 1; v <= VERSION; v += 1) STEPS[v](req.result);
      };
      req.onsuccess = () => {
        const db = req.result;
        // A newer version of the app (another tab) wants to upgrade: let it, and reload
        // into it rather than keep writing with the old shape.
        db.onversionchange = () => {
          db.close();
          opening = null;
          if (typeof self.dispatchEvent === "function") self.dispatchEvent(new Event("sodoan-db-closed"));
        };
        // The browser closes a connection itself when the disk fails or fills up: the
        // next call opens a new one rather than fail on this one for ever.
        db.onclose = () => {
          if (opening && opening.db === db) opening = null;
        };
        opening.db = db;
        resolve(db);
      };
      req.onerror = () => {
        opening = null;
        // A full disk makes the browser fail to open the store at all.
        reject(fullOr(req.error));
      };
      req.onblocked = () => {
        if (typeof self.dispatchEvent === "function") self.dispatchEvent(new Event("sodoan-db-blocked"));
      };
    });
  }
  return opening;
}

export function done(tx) {
  // A write counts only when its transaction completes.
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(fullOr(tx.error));
    tx.onabort = () => reject(fullOr(tx.error || new Error("aborted")));
  });
}

/**
 * The phone's storage refused: over quota, or the disk is full, which Chromium reports as
 * an "UnknownError" (an IO error) and by closing the connection, failing whatever else was
 * under way with a bare AbortError. All of it is one thing to the person: nothing new can
 * be kept until space is freed; what was kept is still there.
 */
function fullOr(err) {
  return err && ["QuotaExceededError", "UnknownError", "AbortError"].includes(err.name) ? new StorageFull(err.message) : err;
}

/**
 * A transaction on an open connection. The browser may have closed the last one (disk
 * full, storage cleared) between opening and now: then open a new one, once.
 */
export async function begin(stores, mode = "readonly") {
  for (let attempt = 0; ; attempt += 1) {
    const db = await open();
    try {
      return db.transaction(stores, mode);
    } catch (err) {
      if (err.name !== "InvalidStateError" || attempt > 0) throw err;
      if (opening && opening.db === db) opening = null;
    }
  }
}

function result(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(fullOr(req.error));
  });
}

export async function getMeta(key) {
  return result((await begin("meta")).objectStore("meta").get(key));
}

export async function setMeta(values) {
  const tx = await begin("meta", "readwrite");
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) tx.objectStore("meta").delete(key);
    else tx.objectStore("meta").put(value, key);
  }
  return done(tx);
}

export async function all(store) {
  return result((await begin(store)).objectStore(store).getAll());
}

export async function get(store, key) {
  return result((await begin(store)).objectStore(store).get(key));
}

/** Put each {store: value} (keyPath stores), together: a staged photo, a thumbnail. */
export async function putAll(values) {
  const tx = await begin(Object.keys(values), "readwrite");
  for (const [name, value] of Object.entries(values)) tx.objectStore(name).put(value);
  return done(tx);
}

/** Delete `key` from each of `stores`, together (a photo: its record, bytes, thumbnail). */
export async function remove(stores, key) {
  const tx = await begin(stores, "readwrite");
  for (const name of stores) tx.objectStore(name).delete(key);
  return done(tx);
}

/** The records of `store` whose `index` is `value` (an activity's photos). */
export async function allBy(store, index, value) {
  return result((await begin(store)).objectStore(store).index(index).getAll(value));
}

export async function count(store) {
  return result((await begin(store)).objectStore(store).count());
}

/** The outbox in mutation order. */
export async function outbox() {
  return (await all("outbox")).sort((a, b) => a.n - b.n);
}

/**
 * Save a record the user typed and its outbox entry together: both or neither. The entry
 * gets the next mutation number inside the same transaction, so two tabs can never hand
 * out one number twice. A draft of the form (`draftKey`), if any, goes in the same
 * transaction, and so does the record this one `replaces` (a refused entry filed again
 * under a new id), which must have nothing left in the outbox. Called by outbox.js, the
 * one module that knows what a mutation holds.
 */
export async function saveLocal(record, mutation, { draftKey = null, replaces = null, also = null } = {}) {
  // `also`: {store: value} written in the same transaction (a photo's bytes, its thumbnail).
  const into = storeOf(mutation.collection);
  const tx = await begin(["records", "outbox", "meta", "drafts", ...(into === "records" ? [] : [into]), ...Object.keys(also || {})], "readwrite");
  const meta = tx.objectStore("meta");
  const next = meta.get("next_n");
  next.onsuccess = () => {
    const n = next.result || 1;
    tx.objectStore("outbox").put({ ...mutation, n });
    meta.put(n + 1, "next_n");
    tx.objectStore(into).put(record);
    for (const [name, value] of Object.entries(also || {})) tx.objectStore(name).put(value);
    if (draftKey) tx.objectStore("drafts").delete(draftKey);
  };
  if (replaces) {
    const left = tx.objectStore("outbox").index("by_id").count(replaces);
    left.onsuccess = () => {
      if (left.result > 0) tx.abort(); // it still waits for an answer: nothing is written
    };
    tx.objectStore("records").delete(replaces);
    tx.objectStore("drafts").delete(replaces);
  }
  return done(tx);
}

function pick(a, b) {
  // Of two server copies ({version, deleted, record}), the newer one.
  if (!a) return b;
  if (!b) return a;
  return b.version > a.version ? b : a;
}

function settled(local, copy) {
  // The record as the phone keeps it once nothing of it waits: the server's copy.
  if (!copy) return { ...local, _pending: false };
  if (copy.deleted) return null;
  const { _server, _pending, _deleting, ...rest } = local;
  return { ...rest, ...copy.record, id: local.id, version: copy.version, _pending: false };
}

/**
 * Apply a pulled page and its cursor in one transaction. A record with entries waiting
 * keeps its local state; the pulled copy is set aside until they are answered (§5).
 */
export async function applyPage(changes, cursor, reference) {
  const tx = await begin(["records", "evidence", "photos", "thumbs", "outbox", "meta"], "readwrite");
  const waiting = tx.objectStore("outbox").index("by_id");
  for (const c of changes) {
    const records = tx.objectStore(storeOf(c.collection));
    const copy = { version: c.version, deleted: c.deleted, record: c.record };
    const req = records.get(c.id);
    const left = waiting.count(c.id);
    left.onsuccess = () => {
      const rec = req.result;
      if (rec && (left.result > 0 || rec._rejected || rec._draft)) {
        // Entries wait, the user has a refused change to fix, or a draft: keep their state.
        records.put({ ...rec, _server: pick(rec._server, copy) });
      } else if (rec && c.version <= (rec.version || 0)) {
        // Older than what the phone has: ignore.
      } else if (c.deleted) {
        records.delete(c.id);
        // A photo deleted elsewhere (or with its activity): its bytes and thumbnail go too.
        if (c.collection === "evidence") for (const name of ["photos", "thumbs"]) tx.objectStore(name).delete(c.id);
      } else {
        records.put({ id: c.id, version: c.version, ...c.record, _pending: false });
      }
    };
  }
  tx.objectStore("meta").put(cursor, "cursor");
  if (reference) tx.objectStore("meta").put(reference, "reference");
  return done(tx);
}

/**
 * Drop answered outbox entries and settle their records, together. Rejected entries leave
 * the record as the user typed it, marked with the server's reason, to be fixed and sent
 * again as a new entry.
 */
export async function acknowledge(results) {
  const tx = await begin(["records", "evidence", "outbox", "meta"], "readwrite");
  const outboxStore = tx.objectStore("outbox");
  // Asked first, so it is there for every answer below (requests complete in order): the
  // name of a unit the user may no longer write is not in the reference after a resync.
  const reference = tx.objectStore("meta").get("reference");
  const unitName = (id) => {
    const unit = ((reference.result || {}).units || []).find((u) => u.id === id);
    return unit ? unit.name : null;
  };
  // What this transaction has already written per record: several answers of one record
  // (created, then edited, offline) each read it before the first one's write lands.
  const written = new Map();
  const keep = (id, rec, records) => {
    written.set(id, rec);
    if (rec === null) records.delete(id);
    else records.put(rec);
  };
  for (const r of results) {
    const sentReq = outboxStore.get(r.n);
    sentReq.onsuccess = () => {
      const sent = sentReq.result;
      if (!sent) return; // answered before (a retried batch)
      outboxStore.delete(r.n);
      // Applied long ago, its answer pruned from the server's log (PROTOCOL §3): no id,
      // no version. The entry is done; the record is settled as an answer without a copy
      // (a pulled copy set aside is taken; a delete is gone).
      const pruned = r.status === "already_applied";
      const id = pruned ? sent.id : r.id;
      const records = tx.objectStore(storeOf(sent.collection));
      const recReq = records.get(id); // asked first: requests complete in order
      const left = outboxStore.index("by_id").count(id);
      left.onsuccess = () => {
        const rec = written.has(id) ? written.get(id) : recReq.result;
        if (!rec) return;
        let answer = null;
        if (r.status !== "rejected" && r.version != null) {
          answer = {
            version: r.version,
            deleted: !!r.deleted,
            record: r.record || (sent.op === "upsert" ? sent.record : null),
          };
        }
        if (r.status === "rejected") {
          const { _deleting, ...kept } = rec;
          const blocked = r.reason && r.reason.code === "blocked_by_rejected";
          // An entry refused only because an earlier one was: the person needs the
          // earlier one's reason (and its fields), which says what to fix.
          const rejected = blocked && rec._rejected
            ? rec._rejected
            : { reason: r.reason, errors: r.errors || null, n: r.n, op: sent.op };
          if (!blocked && r.reason && r.reason.code === "forbidden") rejected.unit_name = unitName(rec.unit_id);
          keep(id, { ...kept, _pending: left.result > 0, _rejected: rejected }, records);
          return;
        }
        if (left.result > 0 || rec._draft) {
          // A later entry of the same record still waits (or a draft of it is kept on the
          // phone): keep its newer local state, but
          // remember the server's copy and version for when it is answered.
          keep(id, { ...rec, version: Math.max(rec.version || 0, r.version || 0), _server: pick(rec._server, answer) }, records);
          return;
        }
        const { _rejected, ...clean } = rec;
        const next = settled(clean, pick(rec._server, answer));
        keep(id, next === null || (sent.op === "delete" && (r.deleted || pruned)) ? null : next, records);
      };
    };
  }
  return done(tx);
}

/**
 * resync_required: forget the cursor and every record with nothing waiting, so a full
 * download rebuilds the store. Records with outbox entries stay as they are.
 */
export async function forgetSynced() {
  const tx = await begin(["records", "evidence", "outbox", "meta"], "readwrite");
  const waiting = tx.objectStore("outbox").index("by_id");
  for (const name of ["records", "evidence"]) {
    const records = tx.objectStore(name);
    const cursorReq = records.openCursor();
    cursorReq.onsuccess = () => {
      const cur = cursorReq.result;
      if (!cur) return;
      // Drafts and photos staged with a form or a draft are the phone's own, not copies.
      const { id, _rejected: refused, _draft: draft, _staged: staged } = cur.value;
      const left = waiting.count(id);
      left.onsuccess = () => {
        if (left.result === 0 && !refused && !draft && !staged) records.delete(id);
      };
      cur.continue();
    };
  }
  tx.objectStore("meta").delete("cursor");
  return done(tx);
}

/** mutation_gap: number the waiting entries again from what the server expects. */
export async function renumber(expected) {
  const tx = await begin(["outbox", "meta"], "readwrite");
  const store = tx.objectStore("outbox");
  const req = store.getAll();
  req.onsuccess = () => {
    const entries = req.result.sort((a, b) => a.n - b.n);
    store.clear();
    entries.forEach((m, i) => store.put({ ...m, n: expected + i }));
    tx.objectStore("meta").put(expected + entries.length, "next_n");
  };
  return done(tx);
}

/**
 * The user gives up a refused change: back to the server's copy, or gone if it has none.
 * `drop`: gone in any case (a record of a branch the user has left, which no pull updates).
 */
export async function discardRejected(id, { drop = false } = {}) {
  const tx = await begin("records", "readwrite");
  const records = tx.objectStore("records");
  const req = records.get(id);
  req.onsuccess = () => {
    const rec = req.result;
    if (!rec || !rec._rejected || rec._pending) return;
    restore(records, rec, drop);
  };
  return done(tx);
}

/** The record back to the server's copy (gone if the server has none, or `drop`). */
export function restore(records, rec, drop = false) {
  const copy = drop ? { deleted: true } : rec._server || (rec.version ? null : { deleted: true });
  if (!copy) {
    const { _rejected, _draft, ...clean } = rec;
    records.put(clean);
  } else if (copy.deleted) records.delete(rec.id);
  else records.put({ id: rec.id, version: copy.version, ...copy.record, _pending: false });
}

export async function replaceConflicts(conflicts) {
  const tx = await begin("conflicts", "readwrite");
  const store = tx.objectStore("conflicts");
  store.clear();
  for (const c of conflicts) store.put(c);
  return done(tx);
}

export async function deleteConflict(id) {
  const tx = await begin("conflicts", "readwrite");
  tx.objectStore("conflicts").delete(id);
  return done(tx);
}

export async function getDraft(key) {
  return get("drafts", key);
}

export async function putDraft(key, value) {
  const tx = await begin("drafts", "readwrite");
  tx.objectStore("drafts").put(value, key);
  return done(tx);
}

export async function deleteDraft(key) {
  const tx = await begin("drafts", "readwrite");
  tx.objectStore("drafts").delete(key);
  return done(tx);
}

/** Sign out: wipe everything. The caller has checked that nothing waits. */
export async function wipe() {
  const names = ["records", "outbox", "meta", "conflicts", "drafts", "evidence", "photos", "thumbs"];
  const tx = await begin(names, "readwrite");
  for (const name of names) tx.objectStore(name).clear();
  return done(tx);
}
