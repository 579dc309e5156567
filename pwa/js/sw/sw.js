// The service worker: the app shell, versioned and precached, served from cache first so
// every screen opens with no network. The API is never cached.

const VERSION = "2026-11-28.1";
const CACHE = `sodoan-shell-${VERSION}`;
const SHELL = [
  "/app/",
  "/app/app.css",
  "/app/icon.svg",
  "/app/manifest.webmanifest",
  "/app/js/page/main.js",
  "/app/js/page/api.js",
  "/app/js/page/db.js",
  "/app/js/page/sync.js",
];

self.addEventListener("install", (event) => {
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

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !url.pathname.startsWith("/app/")) return;
  const key = event.request.mode === "navigate" ? "/app/" : url.pathname;
  event.respondWith(
    caches.match(key).then((hit) => hit || fetch(event.request)),
  );
});
