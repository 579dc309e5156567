// A refused entry: why, what to do, and only the buttons that can work for that reason
// (decision 156). Sending the same change again would be refused again, so it is never
// offered where the reason does not go away by editing.

import * as store from "../../shared/db.js";
import { copyAsDraft } from "../../shared/entries.js";
import { canRefile, movedAway } from "../../shared/outbox.js";
import { t } from "../i18n.js";
import { button, discardButton, el, refileButton, refusal } from "../ui.js";

/** Reasons that editing the entry can clear, and the field the form marks for them. */
const FIXABLE = {
  validation_failed: null,
  unit_closed: "starts_on",
  date_in_future: "starts_on",
  status_not_allowed: null, // the form sets the status the member may send
  storage_refused: "title",
  blocked_by_rejected: null, // stands in for an earlier refusal the server no longer said
  unknown_collection: null, // the form sends an activity, a collection the server knows
};

/** The reason's code, and the one the person has to deal with. */
export function reasonOf(rec) {
  return (rec._rejected && rec._rejected.reason && rec._rejected.reason.code) || "";
}

/** The field a reason without per-field errors is about, for the edit form to mark. */
export function fieldOf(rec) {
  return FIXABLE[reasonOf(rec)] || null;
}

/** Whether "Sửa và gửi lại" can work: the reason goes away by changing the entry. */
export function fixable(rec, reference) {
  return !movedAway(rec, reference) && reasonOf(rec) in FIXABLE;
}

function help(rec, reference) {
  const code = reasonOf(rec);
  if (movedAway(rec, reference)) return null; // its message says it all
  if (code === "record_verified") return t(rec._rejected.op === "delete" ? "help_record_verified_delete" : "help_record_verified");
  if (code === "forbidden") return t("help_forbidden");
  if (code === "storage_refused") return t("help_storage_refused");
  if (code === "validation_failed") return t("help_fix_fields");
  if (fieldOf(rec) === "starts_on") return t("help_fix_date");
  return t("help_fix");
}

function keepServerButton(app, rec) {
  return button(t("keep_server_version"), {
    class: "keep-server-version",
    onclick: async () => {
      await store.discardRejected(rec.id);
      app.render();
    },
  });
}

function copyButton(app, rec, problem) {
  return button(t("copy_as_new"), {
    class: "secondary copy-as-new",
    onclick: async () => {
      let id;
      try {
        id = await copyAsDraft(rec, app.reference.home_unit_id);
      } catch (err) {
        if (!(err instanceof store.StorageFull)) throw err;
        problem.textContent = t("storage_full");
        app.storageFull();
        return;
      }
      app.go(`#/a/${id}/edit`);
    },
  });
}

/** The actions that can work for this refusal, in the order a person would try them. */
export function refusedActions(app, rec, problem) {
  const code = reasonOf(rec);
  const out = [];
  if (movedAway(rec, app.reference)) {
    // Its branch is no longer the person's: filing it again in their branch can work (a
    // record the server never had), or discarding; editing it in the old one cannot.
    if (canRefile(rec, app.reference)) out.push(refileButton(app, rec, problem));
    if (!rec._pending) out.push(discardButton(app, rec));
    return out;
  }
  if (rec._pending) return out; // a newer change waits for its answer
  if (code === "record_verified") {
    out.push(keepServerButton(app, rec));
    if (rec._rejected.op !== "delete") out.push(copyButton(app, rec, problem));
    return out;
  }
  if (fixable(rec, app.reference) && rec._rejected.op !== "delete") {
    out.push(el("a", { class: "button fix-resend", href: `#/a/${rec.id}/edit`, text: t("fix_resend") }));
  }
  out.push(discardButton(app, rec));
  return out;
}

/** The refusal as the detail screen and the sync centre show it: reason, help, actions. */
export function refusedBox(app, rec, { id = null } = {}) {
  const problem = el("p", { class: "error", role: "alert" });
  const hint = help(rec, app.reference);
  return el("div", { class: "box rejected", id, "data-reason": reasonOf(rec) },
    el("strong", { text: t("st_rejected") }),
    el("p", { class: "reason", text: refusal(rec, app.reference) }),
    hint ? el("p", { class: "hint", text: hint }) : null,
    problem,
    el("div", { class: "actions refused-actions" }, ...refusedActions(app, rec, problem)),
  );
}
