// The phone's store: records of its scope, the outbox of unsent mutations, sync state.
// One module owns opening and upgrading; each upgrade step runs once, in order.

const NAME = "sodoan";
const VERSION = 1;

let opening = null;

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(NAME, VERSION);
      req.onupgradeneeded = (event) => {
        const db = req.result;
        if (event.oldVersion < 1) {
          db.createObjectStore("records", { keyPath: "id" });
          db.createObjectStore("outbox", { keyPath: "n" }).createIndex("by_id", "id");
          db.createObjectStore("meta");
        }
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return opening;
}

function done(tx) {
  // A write counts only when its transaction completes.
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("aborted"));
  });
}

function result(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export async function getMeta(key) {
  const db = await open();
  return result(db.transaction("meta").objectStore("meta").get(key));
}

export async function setMeta(values) {
  const db = await open();
  const tx = db.transaction("meta", "readwrite");
  for (const [key, value] of Object.entries(values)) tx.objectStore("meta").put(value, key);
  return done(tx);
}

export async function all(store) {
  const db = await open();
  return result(db.transaction(store).objectStore(store).getAll());
}

/** Save a record the user typed and its outbox entry together: both or neither. */
export async function saveLocal(record, mutation) {
  const db = await open();
  const tx = db.transaction(["records", "outbox", "meta"], "readwrite");
  tx.objectStore("records").put(record);
  tx.objectStore("outbox").put(mutation);
  tx.objectStore("meta").put(mutation.n + 1, "next_n");
  return done(tx);
}

/** Apply a pulled page and its cursor in one transaction. */
export async function applyPage(changes, cursor, reference, pendingIds) {
  const db = await open();
  const tx = db.transaction(["records", "meta"], "readwrite");
  const records = tx.objectStore("records");
  for (const c of changes) {
    if (pendingIds.has(c.id)) continue; // the outbox holds newer local state
    if (c.deleted) records.delete(c.id);
    else records.put({ id: c.id, version: c.version, ...c.record, _pending: false });
  }
  tx.objectStore("meta").put(cursor, "cursor");
  if (reference) tx.objectStore("meta").put(reference, "reference");
  return done(tx);
}

/** Drop acknowledged outbox entries and mark their records synced, together. */
export async function acknowledge(results) {
  const db = await open();
  const tx = db.transaction(["records", "outbox"], "readwrite");
  const outbox = tx.objectStore("outbox");
  const records = tx.objectStore("records");
  for (const r of results) {
    outbox.delete(r.n);
    const left = outbox.index("by_id").count(r.id);
    const req = records.get(r.id);
    req.onsuccess = () => {
      const rec = req.result;
      // Another entry of the same record still waits: it stays "waiting" until that one.
      if (!rec || left.result > 0) return;
      if (r.status === "rejected") {
        records.put({ ...rec, _pending: false, _rejected: r.reason });
      } else if (r.deleted) {
        records.delete(r.id);
      } else {
        records.put({ ...rec, ...(r.record || {}), version: r.version, _pending: false });
      }
    };
  }
  return done(tx);
}
