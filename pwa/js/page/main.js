// The page: routes between the screens, keeps the status line truthful, and starts a sync
// on every trigger (app start, `online`, a timer with backoff, the button, the service
// worker's background sync). Everything on screen comes from IndexedDB, so it all works
// with no network.

import * as store from "../shared/db.js";
import { setLanguage, t } from "./i18n.js";
import { signInScreen } from "./screens/signin.js";
import { syncNow } from "../shared/sync.js";
import { showTime } from "./text.js";
import { el } from "./ui.js";

const view = document.getElementById("view");
const status = document.getElementById("status");
const nav = document.getElementById("nav");
const banner = document.getElementById("update");
const syncButton = document.getElementById("sync");

const OK_EVERY_MS = 5 * 60 * 1000;
const RETRY_FIRST_MS = 15 * 1000;
const RETRY_MAX_MS = 15 * 60 * 1000;
const UPDATE_EVERY_MS = 60 * 60 * 1000;

let syncing = false;
let storageFull = false; // the last sync could not store what it received
let failures = 0;
let timer = null;
let nextTry = null;
let registration = null;
let updating = false;
let offered = false;
let lastUpdateCheck = Date.now();

const app = {
  session: null,
  reference: { activity_types: [], pillars: [], units: [] },
  go(hash) {
    if (location.hash === hash) render();
    else location.hash = hash;
  },
  render: () => render(),
  sync: () => sync(),
  /** A write was refused for want of space: the status line says so until a sync stores. */
  storageFull() {
    storageFull = true;
    showStatus();
  },
  /** Set by a screen that just saved `id`: the list opens with it in view. */
  shown: null,
  saved(id = null) {
    storageFull = false; // it was just written: there is room again
    if (id) app.shown = id;
    // An entry was just queued: send it now if we can, or when the browser next can.
    if (navigator.onLine) sync();
    if (registration && registration.sync) registration.sync.register("sodoan-sync").catch(() => {});
  },
};

// The screens other than sign-in load on demand (a first visit renders the sign-in form
// without them), together: the build makes them one chunk, which the worker precaches (on
// 2G a chunk each cost another round trip). A screen keeps its interface, e.g.
// `formScreen(app, id)`: only how it is reached changed (screens.js lists them).
const screens = {
  form: "formScreen", detail: "detailScreen", list: "listScreen", sync: "syncScreen", settings: "settingsScreen",
};

function route() {
  const hash = location.hash || "#/";
  let m;
  const to = (screen, ...args) => ({ screen, run: () => import("./screens.js").then((all) => all[screens[screen]](app, ...args)) });
  if (hash === "#/new") return to("form", null);
  if ((m = /^#\/a\/([\w-]+)\/edit$/.exec(hash))) return to("form", m[1]);
  if ((m = /^#\/a\/([\w-]+)$/.exec(hash))) return to("detail", m[1]);
  if (hash === "#/sync") return to("sync");
  if (hash === "#/settings") return to("settings");
  // A revoked or expired sign-in: the sign-in screen is asked for, never imposed.
  if (hash === "#/signin" && app.session.blocked) return { screen: "signin", run: () => signInScreen(app) };
  return to("list");
}

async function showStatus() {
  try {
    await paintStatus();
  } catch (err) {
    storeFailed(err);
  }
}

async function paintStatus() {
  const [waiting, last, error, records, conflictList, upgrade] = await Promise.all([
    // Entries, not mutations: one created and edited offline is one waiting (decision 157).
    store.outbox().then((ms) => new Set(ms.map((m) => m.id)).size), store.getMeta("last_sync"), store.getMeta("sync_error"),
    store.all("records"), store.all("conflicts"), store.getMeta("upgrade_required"),
  ]);
  // Only the person's own losing values ask something of them; the branch's others are
  // listed in the sync centre, under their author's name.
  const conflicts = conflictList.filter((c) => c.mine !== false).length;
  const refused = records.filter((r) => r._rejected).length;
  // Returned entries ask something of the member, like refused ones; drafts are theirs to
  // finish (kept on the phone only, decision 155).
  const returned = records.filter((r) => r.status === "returned" && !r._pending && !r._draft && !r._rejected).length;
  const drafts = records.filter((r) => r._draft && !r._rejected).length;
  const parts = [];
  if (syncing) parts.push(t("syncing"));
  else if (!navigator.onLine) parts.push(t("offline"));
  if (waiting) parts.push(t("waiting", { n: waiting }));
  if (refused) parts.push(t("rejected_count", { n: refused }));
  if (returned) parts.push(t("returned_count", { n: returned }));
  if (drafts) parts.push(t("drafts_count", { n: drafts }));
  if (conflicts) parts.push(t("conflict_count", { n: conflicts }));
  if (storageFull) parts.push(t("storage_full_short"));
  if (upgrade) parts.push(t("upgrade_required"));
  else if (!syncing && navigator.onLine && error) {
    const time = nextTry && nextTry.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
    // Entries sent without an answer may already be on the server: "not confirmed yet".
    if (time) parts.push(t(error.unconfirmed ? "sync_unconfirmed" : "sync_failed", { time }));
    else parts.push(t("sync_failed_stopped"));
  }
  if (!waiting && last && !syncing && !(error && navigator.onLine)) {
    parts.push(t("synced_at", { time: showTime(last) }));
  }
  status.textContent = parts.join(" · ") || t("never_synced");
  status.className = navigator.onLine ? (refused || returned || conflicts || upgrade || storageFull ? "attention" : "") : "offline";
  const badge = nav.querySelector("[data-badge]");
  const count = waiting + refused + returned + conflicts;
  if (badge) badge.textContent = count ? String(count) : "";
  // Until a new version is actually waiting, the banner asks the server for one.
  if (upgrade && !offered) showBanner(t("upgrade_required"), () => registration && registration.update());
}

function navLink(hash, key, current) {
  const link = el("a", { href: hash, text: t(key), "aria-current": current ? "page" : undefined });
  if (hash === "#/sync") link.append(el("span", { class: "count", "data-badge": "" }));
  return link;
}

let rendering = Promise.resolve();
function render() {
  // One render at a time, in order: a sync finishing mid-render must not interleave.
  rendering = rendering.then(() => renderNow(false), () => renderNow(false));
  return rendering;
}

/**
 * After a sync: redraw the screens that show synced state, but never one the person is
 * working in (a half-typed form, the settings), where only the status line changes.
 * Decided when the redraw runs, not when it was asked for, so a screen opened meanwhile
 * is respected too.
 */
function refresh() {
  rendering = rendering.then(() => renderNow(true), () => renderNow(true));
  return rendering;
}

async function renderNow(soft) {
  try {
    await renderScreen(soft);
  } catch (err) {
    storeFailed(err);
  }
}

/**
 * The browser cannot read or write the store (a full disk): the screen stays as it is,
 * and the status line says why nothing changes.
 */
function storeFailed(err) {
  if (!(err instanceof store.StorageFull)) throw err;
  storageFull = true;
  status.textContent = t("storage_full_short");
  status.className = "attention";
}

/**
 * A sync that lands while the person types in a box on a redrawn screen (the list's search)
 * must not take the box away from under their fingers: what they typed, the caret and the
 * focus move to the new box.
 */
function inputInUse() {
  const node = document.activeElement;
  if (!node || !node.id || !view.contains(node) || !["INPUT", "SELECT", "TEXTAREA"].includes(node.tagName)) return null;
  return node;
}

function carryOver(old) {
  const again = view.querySelector(`#${CSS.escape(old.id)}`);
  if (!again || again.tagName !== old.tagName) return;
  if (again.value !== old.value) {
    again.value = old.value;
    again.dispatchEvent(new Event(again.tagName === "SELECT" ? "change" : "input"));
  }
  again.focus();
  if (typeof old.selectionStart === "number" && typeof again.setSelectionRange === "function") {
    try {
      again.setSelectionRange(old.selectionStart, old.selectionEnd);
    } catch (err) {
      // Boxes of some types (number, date) have no caret to put back.
    }
  }
}

async function renderScreen(soft) {
  setLanguage((await store.getMeta("lang")) || "vi");
  app.session = (await store.getMeta("session")) || null;
  const stays = soft && app.session && view.dataset.hash === location.hash;
  if (stays && ["form", "settings"].includes(view.dataset.screen)) {
    await showStatus();
    return;
  }
  app.reference = (await store.getMeta("reference")) || app.reference;
  // A session the server no longer accepts (device revoked, sign-in expired) still opens
  // the app: the branch's entries stay readable and new ones go to the outbox, kept for
  // the same device id. Signing in again is asked for only to send (the banner).
  const signedIn = !!app.session;
  const blocked = signedIn && !!app.session.blocked;
  syncButton.hidden = !signedIn || blocked;
  syncButton.textContent = t("sync_now");
  syncButton.title = t("sync_now_hint");
  nav.hidden = !signedIn;
  const r = signedIn ? route() : { screen: "signin", run: () => signInScreen(app) };
  showSignInNeeded(blocked && r.screen !== "signin");
  // Editing an entry belongs to the list's tab; only a new one to "Ghi mới".
  const creating = r.screen === "form" && location.hash === "#/new";
  nav.replaceChildren(
    navLink("#/", "nav_list", r.screen === "list" || r.screen === "detail" || (r.screen === "form" && !creating)),
    navLink("#/new", "nav_new", creating),
    navLink("#/sync", "nav_sync", r.screen === "sync"),
    navLink("#/settings", "nav_settings", r.screen === "settings"),
  );
  const moved = view.dataset.hash !== location.hash;
  const built = await r.run();
  // The box in use as the new screen replaces the old one, not as the redraw began: what is
  // typed while the screen is built (from IndexedDB) is carried over too.
  const typing = soft && stays ? inputInUse() : null;
  view.replaceChildren(...built);
  if (typing) carryOver(typing);
  // A new screen opens at its top (its title, a reviewer's comment, a refusal in view),
  // not where the last one was scrolled; a redraw of the same one stays where it was.
  if (moved) window.scrollTo(0, 0);
  const justSaved = app.shown && r.screen === "list" ? view.querySelector(`[data-id="${CSS.escape(app.shown)}"]`) : null;
  if (justSaved) justSaved.scrollIntoView({ block: "nearest" });
  if (r.screen === "list") app.shown = null;
  view.dataset.screen = r.screen;
  view.dataset.hash = location.hash;
  document.body.dataset.ready = "1";
  await showStatus();
}

let signInBanner = null;
function showSignInNeeded(needed) {
  if (!signInBanner) {
    signInBanner = el("div", { id: "signin-needed", class: "banner", role: "status", hidden: true });
    banner.after(signInBanner);
  }
  signInBanner.hidden = !needed;
  if (!needed) return;
  signInBanner.replaceChildren(
    el("span", { text: t("signin_to_send") }),
    el("button", { type: "button", text: t("sign_in"), onclick: () => app.go("#/signin") }),
  );
}

function schedule(ms) {
  clearTimeout(timer);
  nextTry = new Date(Date.now() + ms);
  document.body.dataset.nextTry = nextTry.toISOString();
  timer = setTimeout(sync, ms);
}

function failed(err) {
  return { ok: false, retry: true, code: err instanceof store.StorageFull ? "storage_full" : String(err) };
}

async function sync() {
  if (syncing) return;
  let session;
  try {
    session = await store.getMeta("session");
  } catch (err) {
    ended();
    await settle(failed(err));
    return;
  }
  if (!session || session.blocked) return;
  syncing = true;
  await showStatus();
  let outcome;
  try {
    outcome = await syncNow();
  } catch (err) {
    outcome = failed(err);
  } finally {
    syncing = false;
    ended();
  }
  await settle(outcome);
}

function ended() {
  // How many syncs this page has finished: lets a test (or a person debugging) see one end.
  document.body.dataset.syncs = String(Number(document.body.dataset.syncs || 0) + 1);
}

/** After a sync (or a failed start): plan the next one and redraw. */
async function settle(outcome) {
  storageFull = outcome.code === "storage_full";
  if (outcome.ok) {
    uploadPhotos();
    failures = 0;
    nextTry = null;
    schedule(OK_EVERY_MS);
    // An app left open for days still hears of a new version; not more than hourly,
    // since each check costs a few KB on 2G.
    if (registration && Date.now() - lastUpdateCheck > UPDATE_EVERY_MS) {
      lastUpdateCheck = Date.now();
      registration.update().catch(() => {});
    }
  } else if (outcome.retry) {
    // Exponential backoff with jitter, so a hundred phones coming back online after a
    // cut do not all hit the server in the same second.
    failures += 1;
    const base = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (failures - 1));
    // When the server says how long to wait (Retry-After on an outage or a busy server:
    // short, with its own jitter, longer while it lasts), that is the wait: never sooner,
    // and no later either, so a 2 s outage costs the phone 2 s, not our 15–60 s.
    schedule(outcome.retry_after ? Math.ceil(outcome.retry_after * 1000) : Math.round(base * (0.5 + Math.random())));
  } else {
    // Only the person can go on (signed out, device revoked, app too old): no retry is
    // planned, and the status line must not promise one.
    clearTimeout(timer);
    nextTry = null;
    delete document.body.dataset.nextTry;
  }
  await refresh();
}

/**
 * After a sync that pushed the outbox: photos' bytes, one at a time (js/photo/upload.js,
 * loaded only when some wait). A cut is tried again after a backoff or the next sync.
 */
async function uploadPhotos() {
  try {
    if (await store.count("photos")) await (await import("../photo/upload.js")).uploadSoon();
  } catch (err) {
    // Kept on the phone; said on the photos' screens.
  }
}

function showBanner(text, onClick) {
  banner.replaceChildren(el("span", { text }), el("button", { type: "button", id: "apply-update", text: t("update_now"), onclick: onClick }));
  banner.hidden = false;
}

function offerUpdate(worker) {
  offered = true;
  showBanner(t("new_version"), () => {
    updating = true;
    worker.postMessage({ type: "skip-waiting" });
  });
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  registration = await navigator.serviceWorker.register("/app/sw.js", { scope: "/app/", type: "module" });
  if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker.addEventListener("statechange", () => {
      // Only an update waits: the very first install just takes over.
      if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(worker);
    });
  });
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (updating) location.reload();
  });
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "synced") refresh();
  });
}

self.addEventListener("sodoan-db-closed", () => showBanner(t("new_version"), () => location.reload()));
self.addEventListener("sodoan-db-blocked", () => showBanner(t("db_blocked"), () => location.reload()));
window.addEventListener("hashchange", render);
window.addEventListener("online", sync);
window.addEventListener("offline", showStatus);
syncButton.addEventListener("click", sync);

render().then(() => {
  registerWorker().catch(() => {});
  if (navigator.onLine) sync();
  // Asked at every start until granted (Chromium decides by how the app is used, so an
  // early "no" is not final): a persisted store is not cleared when the phone runs short.
  if (app.session && navigator.storage && navigator.storage.persisted) {
    navigator.storage.persisted().then((yes) => yes || navigator.storage.persist()).catch(() => {});
  }
});
