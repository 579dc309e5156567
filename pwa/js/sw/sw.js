// The service worker (a module; the server puts VERSION and SHELL above this line, see
// server/pwa.py). The app shell, versioned and precached, is served from cache first so
// every screen opens with no network; the API is never cached. A new version waits until
// the person chooses to apply it ("Có phiên bản mới"), so nothing changes under a half-
// typed entry. Where the browser has Background Sync, it syncs here with no page open,
// with the page's own sync client (js/shared/: the modules both contexts run).

import { syncNow } from "./js/shared/sync.js";

/* global VERSION, SHELL */
const CACHE = `sodoan-shell-${VERSION}`;

self.addEventListener("install", (event) => {
  // The server marks every shell file `no-cache` with an ETag, so what the page has just
  // loaded is revalidated (a 304, headers only) rather than downloaded twice, and an
  // update can never precache a stale copy.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener("activate", (event) => {
  // Delete only our own stale shells.
  event.waitUntil(
    caches.keys().then((keys) =>
      Promise.all(
        keys.filter((k) => k.startsWith("sodoan-shell-") && k !== CACHE).map((k) => caches.delete(k)),
      ),
    ).then(() => self.clients.claim()),
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
