// Language, the account on this phone, storage, and a sign-out that cannot lose entries.

import * as store from "../../shared/db.js";
import { isolate, language, t } from "../i18n.js";
import { showNumber } from "../text.js";
import { button, el } from "../ui.js";

function size(bytes) {
  const one = (n) => showNumber(Math.round(n * 10) / 10);
  return bytes > 1e9 ? `${one(bytes / 1e9)} GB` : `${one(bytes / 1e6)} MB`;
}

export async function settingsScreen(app) {
  const parts = [el("h1", { text: t("settings_title") })];
  const lang = el("select", { id: "language" }, el("option", { value: "vi", text: "Tiếng Việt" }), el("option", { value: "en", text: "English" }));
  lang.value = language();
  lang.addEventListener("change", async () => {
    await store.setMeta({ lang: lang.value });
    app.render();
  });
  parts.push(el("label", { for: "language", text: t("language") }), lang);

  const user = app.session.user;
  parts.push(el("h2", { text: t("account") }), el("p", { id: "account", text: `${isolate(user.full_name || user.username)} · ${isolate(user.username)}` }));

  if (navigator.storage && navigator.storage.estimate) {
    const estimate = await navigator.storage.estimate();
    const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : false;
    parts.push(el("h2", { text: t("storage") }),
      el("p", { text: t("storage_used", { used: size(estimate.usage || 0), quota: size(estimate.quota || 0) }) }),
      el("p", { class: "hint", text: persisted ? t("storage_persisted") : t("storage_not_persisted") }));
  }

  // Evidence photos: only on Wi-Fi, the space waiting photos take (js/photo/, loaded now).
  const photosBox = el("section", { id: "photo-settings" });
  import("../../photo/photos.js").then((m) => m.mountSettings(photosBox));
  parts.push(photosBox);

  const message = el("p", { class: "error", id: "sign-out-message", role: "alert" });
  parts.push(button(t("sign_out"), {
    id: "sign-out",
    class: "secondary",
    onclick: async () => {
      const waiting = (await store.count("outbox")) + (await store.count("photos")); // photos not yet sent
      const refused = (await store.all("records")).filter((r) => r._rejected).length;
      if (waiting || refused) {
        message.textContent = t("sign_out_refused", { n: waiting + refused });
        return;
      }
      // Drafts are on this phone only: signing out would lose them (decision 155).
      const drafts = (await store.all("records")).filter((r) => r._draft).length;
      if (drafts) {
        message.textContent = t("sign_out_drafts", { n: drafts });
        return;
      }
      if (!confirm(t("confirm_sign_out"))) return;
      await store.wipe();
      app.go("#/");
      app.render();
    },
  }), message);
  return parts;
}
