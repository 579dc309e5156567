// One activity as recorded, with the reviewer's comment when it came back, and why the
// server refused it when it did.

import * as store from "../../shared/db.js";
import { dropDraft, sendDraft } from "../../shared/entries.js";
import { movedAway, queueDelete } from "../../shared/outbox.js";
import { language, t } from "../i18n.js";
import { showDate, showNumber } from "../text.js";
import { badge, button, el, typeName } from "../ui.js";
import { refusedBox } from "./refused.js";

const photos = () => import("../../photo/photos.js");

function row(label, value) {
  return [el("dt", { text: label }), el("dd", { text: value === "" || value == null ? "—" : String(value) })];
}

export async function detailScreen(app, id) {
  const rec = await store.get("records", id);
  if (!rec) return [el("p", { class: "error", text: t("not_found") }), el("a", { href: "#/", text: t("nav_list") })];
  const lang = language();
  const type = (app.reference.activity_types || []).find((x) => x.code === rec.type);
  const parts = [el("h1", { id: "detail-title", text: rec.title }), el("p", {}, badge(rec))];
  // A refused entry offers only what can work for its reason (refused.js), nothing else.
  if (rec._rejected) parts.push(refusedBox(app, rec, { id: "rejected-reason" }));
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
  if (rec._rejected) {
    // Its actions are in the refusal's box.
  } else if (rec.status === "verified") {
    actions.append(el("p", { class: "hint", text: t("verified_locked") }));
  } else if (rec._draft) {
    // A draft is on this phone only: finished with "Gửi", or thrown away (decision 155).
    actions.append(
      button(t("send"), {
        id: "send-draft",
        onclick: async () => {
          try {
            await sendDraft(rec);
            await photos().then((m) => m.sendStaged(rec.id)); // queued after the activity
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
      el("a", { class: "button secondary", id: "edit", href: `#/a/${rec.id}/edit`, text: t("edit") }),
      button(t("drop_draft"), {
        id: "drop-draft",
        class: "secondary",
        onclick: async () => {
          if (!confirm(t("confirm_drop_draft", { title: rec.title }))) return;
          await dropDraft(rec.id);
          await photos().then((m) => m.forgetActivity(rec.id));
          app.go("#/");
        },
      }),
      el("p", { class: "hint", text: t("draft_hint") }),
    );
  } else if (!rec._deleting) {
    actions.append(
      el("a", { class: "button", id: "edit", href: `#/a/${rec.id}/edit`, text: t("edit") }),
      button(t("delete"), {
        id: "delete",
        class: "secondary",
        onclick: async () => {
          if (!confirm(t("confirm_delete", { title: rec.title }))) return;
          try {
            await queueDelete(rec);
            await photos().then((m) => m.forgetActivity(rec.id)); // the server deletes their records too
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
  // Evidence photos (js/photo/, loaded only now). Added only to an entry the server can
  // take them for: a draft's are added on its form (staged with it), and a refused
  // entry offers only what can work for its refusal (decision 156).
  const photosBox = el("section", { id: "photos", class: "photo-box" });
  photos().then((m) => m.mountPhotos(photosBox, app, { activityId: rec.id, editable: !rec._draft && !rec._rejected && !rec._deleting && !movedAway(rec, app.reference) }));
  parts.push(photosBox, problem, actions, el("a", { href: "#/", class: "back", text: `← ${t("nav_list")}` }));
  return parts;
}
