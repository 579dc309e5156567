// One activity as recorded, with the reviewer's comment when it came back, and why the
// server refused it when it did.

import * as store from "../../shared/db.js";
import { canRefile, movedAway, queueDelete } from "../../shared/outbox.js";
import { language, t } from "../i18n.js";
import { showDate, showNumber } from "../text.js";
import { badge, button, discardButton, el, refileButton, refusal, typeName } from "../ui.js";

function row(label, value) {
  return [el("dt", { text: label }), el("dd", { text: value === "" || value == null ? "—" : String(value) })];
}

export async function detailScreen(app, id) {
  const rec = await store.get("records", id);
  if (!rec) return [el("p", { class: "error", text: t("not_found") }), el("a", { href: "#/", text: t("nav_list") })];
  const lang = language();
  const type = (app.reference.activity_types || []).find((x) => x.code === rec.type);
  const parts = [el("h1", { id: "detail-title", text: rec.title }), el("p", {}, badge(rec))];
  if (rec._rejected) {
    parts.push(el("div", { class: "box rejected", id: "rejected-reason", role: "alert" },
      el("strong", { text: t("st_rejected") }), el("p", { text: refusal(rec, app.reference) })));
  }
  if (rec.review_comment && (rec.status === "returned" || rec.status === "verified")) {
    parts.push(el("div", { class: `box ${rec.status}`, id: "review-comment" },
      el("strong", { text: t("review_comment") }), el("p", { text: rec.review_comment })));
  }
  const quantities = Object.entries(rec.quantities || {}).map(([code, value]) => {
    const spec = ((type && type.quantities) || []).find((q) => q.code === code);
    const label = spec ? (lang === "en" ? spec.label_en : spec.label_vi) : code;
    const unit = spec ? (lang === "en" ? spec.unit_en : spec.unit_vi) : "";
    return row(label, `${showNumber(value)} ${unit || ""}`.trim());
  });
  parts.push(el("dl", { class: "facts" },
    ...row(t("f_type"), typeName(app.reference, rec.type, lang)),
    ...row(t("d_starts_on"), showDate(rec.starts_on)),
    ...row(t("d_ends_on"), showDate(rec.ends_on)),
    ...row(t("f_place"), rec.place),
    ...row(t("f_members_count"), showNumber(rec.members_count)),
    ...row(t("f_citizens_served"), showNumber(rec.citizens_served)),
    ...row(t("f_volunteer_hours"), showNumber(rec.volunteer_hours)),
    ...quantities.flat(),
    ...row(t("f_description"), rec.description),
  ));
  const actions = el("div", { class: "actions" });
  const problem = el("p", { class: "error", id: "detail-error", role: "alert" });
  if (rec.status === "verified") {
    actions.append(el("p", { class: "hint", text: t("verified_locked") }));
  } else if (movedAway(rec, app.reference)) {
    // Its branch is no longer the person's: editing it there cannot be sent; filing it
    // again in their branch can (or, for an edit of the old branch's record, discarding).
    if (canRefile(rec, app.reference)) actions.append(refileButton(app, rec, problem));
    if (!rec._pending) actions.append(discardButton(app, rec));
  } else if (!rec._deleting) {
    actions.append(
      el("a", { class: "button", id: "edit", href: `#/a/${rec.id}/edit`, text: rec._rejected ? t("fix_resend") : t("edit") }),
      button(t("delete"), {
        id: "delete",
        class: "secondary",
        onclick: async () => {
          if (!confirm(t("confirm_delete", { title: rec.title }))) return;
          try {
            await queueDelete(rec);
          } catch (err) {
            if (!(err instanceof store.StorageFull)) throw err;
            problem.textContent = t("storage_full");
            app.storageFull();
            return;
          }
          app.saved();
          app.go("#/");
        },
      }),
    );
  }
  parts.push(problem, actions, el("a", { href: "#/", class: "back", text: `← ${t("nav_list")}` }));
  return parts;
}
