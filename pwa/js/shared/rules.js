// The server's exported rules (/app/rules.json, made by schemas/rules.py): the activity's
// fields and their checks, and the protocol's limits. Each of these facts is read from here
// on the phone, never restated. Works in the page and in the service worker (no DOM).

const URL_ = "/app/rules.json";
let loaded = null;

function fetchRules() {
  // The page's fetch is answered by the service worker from the precached shell. The
  // worker's own fetches bypass it, so there the cache is asked first (offline, and no
  // bytes spent on 2G for a file the phone already has).
  const inWorker = typeof ServiceWorkerGlobalScope !== "undefined" && self instanceof ServiceWorkerGlobalScope;
  const cached = inWorker ? caches.match(URL_) : Promise.resolve(null);
  return cached.then((hit) => hit || fetch(URL_)).then((r) => {
    if (!r.ok) throw new Error(`rules.json: HTTP ${r.status}`);
    return r.json();
  });
}

/** The rules, loaded once. */
export function rules() {
  if (!loaded) {
    loaded = fetchRules();
    loaded.catch(() => { loaded = null; });
  }
  return loaded;
}
