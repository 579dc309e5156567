// Building the screens. Text a person typed is only ever set with textContent (never
// parsed as HTML), so a title like "<script>" stays text; without direction controls
// (text.js, visible); and every element given text has dir="auto", which isolates it
// (unicode-bidi: isolate): a name written right to left cannot reorder the text beside it.

import * as store from "../shared/db.js";
import { movedAway, refile } from "../shared/outbox.js";
import { said, t } from "./i18n.js";
import { visible } from "./text.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") {
      node.textContent = visible(value);
      if (!("dir" in attrs)) node.dir = "auto";
    }
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/**
 * A labelled input with a place for its errors underneath, tied to it (aria-describedby),
 * so a screen reader reads the error with the field. Not an alert each: the form says once
 * that something needs fixing, and focus goes to the first field to fix.
 */
export function field(name, label, input, hint = null) {
  input.id = input.id || `f-${name}`;
  input.name = name;
  const hintNode = hint ? el("small", { id: `hint-${name}`, text: hint }) : null;
  input.setAttribute("aria-describedby", [hintNode ? hintNode.id : null, `err-${name}`].filter(Boolean).join(" "));
  return el(
    "div",
    { class: "field", "data-field": name },
    el("label", { for: input.id, text: label }),
    input,
    hintNode,
    el("p", { class: "field-error", id: `err-${name}` }),
  );
}

export function button(text, attrs = {}) {
  return el("button", { type: "button", ...attrs, text });
}

/** The record's state as a person reads it: the most pressing one first. */
export function stateOf(rec) {
  if (rec._rejected) return { key: "rejected", text: t("st_rejected") };
  if (rec._draft) return { key: "draft", text: t("st_phone_draft") };
  if (rec._deleting) return { key: "waiting", text: t("st_deleting") };
  if (rec._pending) return { key: "waiting", text: t("st_pending") };
  const key = rec.status || "submitted";
  return { key, text: t(`st_${key}`) };
}

export function badge(rec) {
  const state = stateOf(rec);
  return el("span", { class: `badge ${state.key}`, text: state.text });
}

export function typeName(reference, code, lang) {
  const type = (reference.activity_types || []).find((x) => x.code === code);
  if (!type) return code;
  return (lang === "en" && type.name_en) || type.name_vi;
}

function unitName(reference, id) {
  const unit = ((reference && reference.units) || []).find((u) => u.id === id);
  return unit ? unit.name : null;
}

/** Why the server refused the record's last change, in the person's words. */
export function refusal(rec, reference) {
  if (movedAway(rec, reference)) {
    const unit = rec._rejected.unit_name || t("a_former_branch");
    const home = unitName(reference, reference.home_unit_id) || t("your_branch");
    return t(rec.version ? "moved_away_edit" : "moved_away", { unit, home });
  }
  return said(rec._rejected.reason);
}

/** File a refused entry of a branch the person has left in their current one. */
export function refileButton(app, rec, problem) {
  return button(t("refile"), {
    class: "refile",
    onclick: async () => {
      try {
        await refile(rec, app.reference.home_unit_id);
      } catch (err) {
        if (!(err instanceof store.StorageFull)) throw err;
        problem.textContent = t("storage_full");
        app.storageFull();
        return;
      }
      app.saved();
      app.go("#/");
    },
  });
}

/** Give up a refused change (after asking): a moved one leaves the phone altogether. */
export function discardButton(app, rec) {
  return button(t("discard"), {
    class: "secondary discard",
    onclick: async () => {
      if (!confirm(t("confirm_discard", { title: rec.title }))) return;
      await store.discardRejected(rec.id, { drop: movedAway(rec, app.reference) });
      // Gone from the phone (never accepted): its detail has nothing left to show.
      if (location.hash === `#/a/${rec.id}` && !(await store.get("records", rec.id))) app.go("#/");
      else app.render();
    },
  });
}
