// Signing this phone in, once, online: with a password or a one-time enrolment code.
// After a revoked device it signs in again with the same device id, keeping the outbox.

import { HttpError, NetworkError } from "../../shared/api.js";
import * as store from "../../shared/db.js";
import { said, t } from "../i18n.js";
import { EntriesKept, signIn } from "../../shared/sync.js";
import { button, el, field } from "../ui.js";

export async function signInScreen(app) {
  const session = await store.getMeta("session");
  const waiting = await store.count("outbox");
  let useCode = false;
  const username = el("input", { autocomplete: "username", inputmode: "tel", required: true });
  const password = el("input", { type: "password", autocomplete: "current-password", required: true });
  const code = el("input", { autocomplete: "one-time-code", autocapitalize: "characters", placeholder: "K7QM-2XPA-9RTD" });
  if (session && session.user) username.value = session.user.username;
  const byPassword = el("div", {}, field("username", t("username"), username), field("password", t("password"), password));
  const byCode = el("div", { hidden: true }, field("enrolment_code", t("enrolment_code"), code));
  const error = el("p", { class: "error", id: "sign-in-error", role: "alert" });
  const toggle = button(t("use_code"), { id: "toggle-code", class: "link" });
  toggle.addEventListener("click", () => {
    useCode = !useCode;
    byPassword.hidden = useCode;
    byCode.hidden = !useCode;
    toggle.textContent = useCode ? t("use_password") : t("use_code");
  });
  const form = el("form", { id: "sign-in", novalidate: true },
    el("h1", { text: t("sign_in") }),
    session && session.blocked ? el("p", { class: "box rejected", id: "revoked", text: t("revoked", { waiting }) }) : null,
    byPassword, byCode, error,
    el("button", { type: "submit", text: t("sign_in") }),
    toggle,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const credentials = useCode
      ? { enrolment_code: code.value.trim() }
      : { username: username.value.trim(), password: password.value };
    try {
      await signIn(credentials);
    } catch (err) {
      if (err instanceof HttpError) error.textContent = said(err.body) || err.message;
      else if (err instanceof NetworkError) error.textContent = t("need_network_sign_in");
      else if (err instanceof EntriesKept) {
        error.textContent = t("other_user_refused", { n: err.count, name: err.user.full_name || err.user.username });
      }
      else throw err;
      return;
    }
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
    app.go("#/");
    await app.render();
    app.sync();
  });
  return [form];
}
