// The service worker (a module; the server puts VERSION, SHELL and LATER above this line,
// see server/pwa.py). The app shell, versioned and precached, is served from cache first so
// every screen opens with no network; the API is never cached. A new version waits until
// the person chooses to apply it ("Có phiên bản mới"), so nothing changes under a half-
// typed entry. Where the browser has Background Sync, it syncs here with no page open,
// with the page's own sync client (js/shared/: the modules both contexts run).

import { syncNow } from "./js/shared/sync.js";

/* global VERSION, SHELL, LATER */
const CACHE = `sodoan-shell-${VERSION}`;

self.addEventListener("install", (event) => {
  // The server marks every shell file `no-cache` with an ETag, so what the page has just
  // loaded is revalidated (a 304, headers only) rather than downloaded twice, and an
  // update can never precache a stale copy.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
});

// The photo code's chunks (LATER, decision 190): not needed to open the app, so not part of
// install, where on 2G they cost one more 800 ms round trip before the worker controls the
// page. Fetched into the same cache once it does, one by one: one that fails is fetched on
// first use instead, and kept then (the fetch handler below), so it never breaks the worker.
function fetchLater() {
  return caches
    .open(CACHE)
    .then((cache) =>
      Promise.all(LATER.map((url) => cache.match(url).then((hit) => hit || cache.add(url)).catch(() => {}))),
    )
    .catch(() => {});
}

self.addEventListener("activate", (event) => {
  // Delete only our own stale shells, and take the open pages at once. The later chunks
  // are fetched after that, outside waitUntil: the standard holds the page's requests (the
  // API, a screen's chunk) until activation ends, and on 2G that fetch takes seconds, or
  // hangs when the link drops (Chromium does not hold them; others may). A worker stopped
  // before it is done (Chromium stops one idle for 30 s) leaves the rest to first use.
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((k) => k.startsWith("sodoan-shell-") && k !== CACHE).map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim())
      .then(() => {
        fetchLater();
      }),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !url.pathname.startsWith("/app/")) return;
  const key = event.request.mode === "navigate" ? "/app/" : url.pathname;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(key);
      if (hit) return hit;
      // Not precached (the unbundled modules beside the build, an icon): kept once fetched,
      // so what was opened online opens offline too, in this version.
      const answer = await fetch(event.request);
      if (answer.ok && url.pathname !== "/app/sw.js") cache.put(key, answer.clone()).catch(() => {});
      return answer;
    }),
  );
});

async function tellPages() {
  const pages = await self.clients.matchAll({ type: "window" });
  for (const page of pages) page.postMessage({ type: "synced" });
}

self.addEventListener("sync", (event) => {
  if (event.tag !== "sodoan-sync") return;
  event.waitUntil(
    syncNow().then(async (outcome) => {
      await tellPages();
      // Throwing asks the browser to try again later, with its own backoff.
      if (!outcome.ok && outcome.retry) throw new Error(outcome.code || "sync failed");
    }),
  );
});
