// New or edited activity. Checked on the phone with the server's rules; what is typed is
// kept as a draft at every keystroke, so a crash, a call or a flat battery loses nothing.

import * as store from "../../shared/db.js";
import { dropDraft, saveDraft } from "../../shared/entries.js";
import { queueUpsert, wireOf } from "../../shared/outbox.js";
import { nowWithZone } from "../../shared/time.js";
import { language, said, t } from "../i18n.js";
import { parseDate, showDate, today, typedNumber } from "../text.js";
import { button, el, field } from "../ui.js";
import { rules, validate } from "../validate.js";
import { fieldOf } from "./refused.js";

/** Whether what is on the form differs from what it opened with (the record's values). */
function edited(now, start) {
  const same = (a, b) => String(a ?? "").trim() === String(b ?? "").trim();
  for (const key of Object.keys(now)) {
    if (key === "quantities") continue;
    if (!same(now[key], start[key])) return true;
  }
  const q = { ...(start.quantities || {}), ...(now.quantities || {}) };
  return Object.keys(q).some((k) => !same((now.quantities || {})[k], (start.quantities || {})[k]));
}

/** A typed number ("1,5" is how many people write one and a half); empty is 0. */
function number(text) {
  const clean = String(text ?? "").trim().replace(",", ".");
  if (clean === "") return 0;
  const value = Number(clean);
  return Number.isFinite(value) ? value : clean; // left as typed: the check says why
}

function typeOptions(select, reference, lang, current) {
  const pillars = reference.pillars || [];
  const types = (reference.activity_types || []).filter((x) => x.active || x.code === current);
  for (const pillar of pillars) {
    const group = el("optgroup", { label: (lang === "en" && pillar.name_en) || pillar.name_vi });
    for (const type of types.filter((x) => x.pillar === pillar.code)) {
      group.append(el("option", { value: type.code, text: (lang === "en" && type.name_en) || type.name_vi }));
    }
    if (group.children.length) select.append(group);
  }
  for (const type of types.filter((x) => !pillars.some((p) => p.code === x.pillar))) {
    select.append(el("option", { value: type.code, text: type.name_vi }));
  }
}

function showErrors(form, errors) {
  for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const mark = (key, problems) => {
    const slot = form.querySelector(`#err-${CSS.escape(key)}`);
    if (!slot) return false;
    slot.textContent = problems.map(said).join("; ");
    const input = slot.parentElement.querySelector("input, select, textarea");
    if (input) input.setAttribute("aria-invalid", "true");
    return true;
  };
  const loose = [];
  for (const [name, problems] of Object.entries(errors || {})) {
    if (name === "quantities" && !Array.isArray(problems)) {
      for (const [code, qp] of Object.entries(problems)) if (!mark(`q-${code}`, qp)) loose.push(...qp);
    } else if (!mark(name, problems)) {
      loose.push(...problems);
    }
  }
  // The first field to fix as the screen shows them, top to bottom (not the rules' order).
  return { first: form.querySelector("[aria-invalid]"), loose };
}

const photos = () => import("../../photo/photos.js");

export async function formScreen(app, id) {
  const lang = language();
  const reference = app.reference;
  const existing = id ? await store.get("records", id) : null;
  if (id && !existing) return [el("p", { class: "error", text: t("not_found") })];
  const draftKey = id || "new";
  const draft = await store.getDraft(draftKey);
  const start = existing || {
    type: "", title: "", starts_on: today(), ends_on: today(), place: "", members_count: 0,
    citizens_served: 0, volunteer_hours: "0.0", quantities: {}, description: "",
  };
  const inputs = {
    type: el("select", { required: true }),
    title: el("input", { maxlength: "200", required: true, autocomplete: "off" }),
    starts_on: el("input", { inputmode: "numeric", placeholder: "dd/mm/yyyy", autocomplete: "off" }),
    ends_on: el("input", { inputmode: "numeric", placeholder: "dd/mm/yyyy", autocomplete: "off" }),
    place: el("input", { maxlength: "200" }),
    members_count: el("input", { inputmode: "numeric" }),
    citizens_served: el("input", { inputmode: "numeric" }),
    volunteer_hours: el("input", { inputmode: "decimal" }),
    description: el("textarea", { rows: "4", maxlength: "5000" }),
  };
  typeOptions(inputs.type, reference, lang, start.type);
  inputs.type.prepend(el("option", { value: "", text: "—" }));
  const opened = {
    type: start.type, title: start.title, starts_on: showDate(start.starts_on), ends_on: showDate(start.ends_on),
    place: start.place, members_count: String(start.members_count ?? 0), citizens_served: String(start.citizens_served ?? 0),
    volunteer_hours: typedNumber(start.volunteer_hours ?? "0"), description: start.description,
    quantities: Object.fromEntries(Object.entries(start.quantities || {}).map(([k, v]) => [k, typedNumber(v)])),
  };
  const values = draft ? draft.values : opened;
  for (const [name, input] of Object.entries(inputs)) input.value = values[name] ?? "";

  const pillarNote = el("p", { class: "hint", id: "pillar" });
  const quantitiesBox = el("fieldset", { id: "quantities", class: "quantities" });
  let quantityInputs = {};
  function drawQuantities() {
    const type = (reference.activity_types || []).find((x) => x.code === inputs.type.value);
    const pillar = type && (reference.pillars || []).find((p) => p.code === type.pillar);
    pillarNote.textContent = pillar ? `${t("f_pillar")}: ${(lang === "en" && pillar.name_en) || pillar.name_vi}` : "";
    const previous = Object.fromEntries(Object.entries(quantityInputs).map(([k, i]) => [k, i.value]));
    quantityInputs = {};
    quantitiesBox.replaceChildren();
    const specs = (type && type.quantities) || [];
    quantitiesBox.hidden = !specs.length;
    if (!specs.length) return;
    quantitiesBox.append(el("legend", { text: t("f_quantities") }));
    for (const q of specs) {
      const input = el("input", { inputmode: q.kind === "decimal" ? "decimal" : "numeric" });
      input.value = previous[q.code] ?? (values.quantities || {})[q.code] ?? "";
      quantityInputs[q.code] = input;
      const label = (lang === "en" ? q.label_en : q.label_vi) + ((lang === "en" ? q.unit_en : q.unit_vi) ? ` (${lang === "en" ? q.unit_en : q.unit_vi})` : "");
      quantitiesBox.append(field(`q-${q.code}`, label, input));
    }
  }
  drawQuantities();

  function collect() {
    return {
      values: {
        ...Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value])),
        quantities: Object.fromEntries(Object.entries(quantityInputs).map(([k, i]) => [k, i.value])),
      },
    };
  }

  function record(status) {
    const quantities = {};
    for (const [code, input] of Object.entries(quantityInputs)) {
      if (String(input.value).trim() === "") continue;
      quantities[code] = number(input.value);
    }
    const hours = number(inputs.volunteer_hours.value);
    return {
      // The user's unit as the server last said (a move to another branch comes with the
      // next pull), not as it was at sign-in.
      unit_id: existing ? existing.unit_id : reference.home_unit_id || app.session.user.unit_id,
      type: inputs.type.value,
      title: inputs.title.value.trim(),
      starts_on: parseDate(inputs.starts_on.value) || inputs.starts_on.value,
      ends_on: parseDate(inputs.ends_on.value || inputs.starts_on.value) || inputs.ends_on.value,
      place: inputs.place.value.trim(),
      members_count: number(inputs.members_count.value),
      citizens_served: number(inputs.citizens_served.value),
      volunteer_hours: typeof hours === "number" ? hours.toFixed(1) : hours,
      quantities,
      description: inputs.description.value.trim(),
      status,
      recorded_at: existing && existing.recorded_at ? existing.recorded_at : nowWithZone(),
    };
  }

  // Evidence photos (js/photo/, loaded only now): staged with the draft until the save.
  const photosBox = el("section", { id: "photos", class: "photo-box" });
  photos().then((m) => m.mountPhotos(photosBox, app, { draftKey }));
  const notice = el("p", { class: "notice", id: "form-notice", role: "status" });
  const alert = el("p", { class: "error", id: "form-error", role: "alert" });
  if (draft) notice.textContent = t("draft_restored");
  if (existing && existing._rejected) {
    alert.textContent = said(existing._rejected.reason);
  }
  // A returned entry (or a draft of one): the reviewer's comment above the fields to fix.
  const returned = existing && (existing.status === "returned"
    || (existing._draft && existing._server && existing._server.record && existing._server.record.status === "returned"));
  const review = returned && existing.review_comment
    ? el("div", { class: "box returned", id: "form-review-comment" },
      el("strong", { text: t("review_comment") }), el("p", { text: existing.review_comment }))
    : null;
  // "Huỷ" asks before throwing away typing (only when something changed), and sits apart
  // from the save buttons, so a slip of the thumb cannot hit it.
  const cancel = button(t("cancel"), {
    id: "cancel",
    class: "link",
    onclick: async () => {
      if (edited(collect().values, opened) && !confirm(t("confirm_cancel"))) return;
      clearTimeout(timer);
      await store.deleteDraft(draftKey);
      await photos().then((m) => m.discardStaged(draftKey));
      app.go(existing ? `#/a/${existing.id}` : "#/");
    },
  });
  // A change still waiting for its answer cannot become a draft under it.
  const draftAllowed = !(existing && existing._pending);

  const form = el(
    "form",
    { id: "activity-form", novalidate: true },
    el("h1", { text: existing ? t("edit_title") : t("new_title") }),
    notice,
    alert,
    review,
    field("type", t("f_type"), inputs.type),
    pillarNote,
    field("title", t("f_title"), inputs.title),
    el("div", { class: "pair" }, field("starts_on", t("f_starts_on"), inputs.starts_on), field("ends_on", t("f_ends_on"), inputs.ends_on)),
    field("place", t("f_place"), inputs.place),
    el("div", { class: "pair" }, field("members_count", t("f_members_count"), inputs.members_count), field("citizens_served", t("f_citizens_served"), inputs.citizens_served)),
    field("volunteer_hours", t("f_volunteer_hours"), inputs.volunteer_hours),
    quantitiesBox,
    field("description", t("f_description"), inputs.description),
    photosBox,
    el("div", { class: "actions" },
      el("button", { type: "submit", id: "save", "data-status": "submitted", text: t("save_submit") }),
      draftAllowed ? el("button", { type: "submit", id: "save-draft", class: "secondary", "data-status": "draft", text: t("save_draft") }) : null,
    ),
    draftAllowed ? el("p", { class: "hint", id: "draft-hint", text: t("draft_hint") }) : null,
    el("div", { class: "cancel-row" }, cancel),
  );
  if (existing && existing._rejected && existing._rejected.errors) showErrors(form, existing._rejected.errors);
  else if (existing && existing._rejected && fieldOf(existing)) showErrors(form, { [fieldOf(existing)]: [existing._rejected.reason] });

  let timer = null;
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      store.putDraft(draftKey, { ...collect(), saved_at: new Date().toISOString() }).then(
        () => {
          if (alert.dataset.full) alert.textContent = alert.dataset.full = "";
        },
        (err) => {
          // The typing stays on screen; the person learns now, not at "Lưu", that the
          // phone cannot keep it.
          if (!(err instanceof store.StorageFull)) throw err;
          alert.textContent = alert.dataset.full = t("storage_full");
          app.storageFull();
        },
      );
    }, 300);
  });
  inputs.type.addEventListener("change", drawQuantities);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearTimeout(timer);
    const status = (event.submitter && event.submitter.dataset.status) || "submitted";
    const all = await rules();
    const rec = record(status);
    // What the server would remove (direction controls, zero-width characters): removed
    // where the entry is made, so the phone keeps what the server will store.
    if (all.invisible) {
      const invisible = new RegExp(all.invisible, "gu");
      for (const key of ["title", "place", "description"]) rec[key] = rec[key].replace(invisible, "").trim();
    }
    const errors = validate(all, rec, reference.activity_types || [], today());
    const shown = showErrors(form, errors);
    if (Object.keys(errors).length) {
      alert.textContent = [t("fix_errors"), ...shown.loose.map(said)].join(" ");
      if (shown.first) shown.first.focus();
      return;
    }
    const recordId = existing ? existing.id : crypto.randomUUID();
    const before = existing ? wireOf(all, existing) : null;
    // A draft kept on the phone is compared with the server's copy it was made from.
    const copy = existing && existing._draft ? existing._server : null;
    const base = existing && existing._draft ? (copy && !copy.deleted ? copy.record : null) : before;
    const changed = base && existing.version && !existing._rejected
      ? Object.keys(rec).filter((k) => k !== "recorded_at" && JSON.stringify(rec[k]) !== JSON.stringify(base[k]))
      : null;
    if (changed && !changed.length) {
      if (existing._draft) await dropDraft(existing.id);
      await store.deleteDraft(draftKey);
      await photos().then((m) => m.commitStaged(draftKey, recordId));
      app.saved(); // photos added with no other change still go now
      app.go(`#/a/${recordId}`);
      return;
    }
    const { _rejected, _draft, ...kept } = existing || {};
    // The server's copy, kept so a refused change (or a draft) can be given up later.
    const server = existing && existing.version && !existing._pending && !existing._rejected && !existing._draft
      ? { version: existing.version, deleted: false, record: before }
      : kept._server;
    const local = { ...kept, id: recordId, version: existing ? existing.version || 0 : 0, ...rec, _server: server };
    try {
      // A draft stays on the phone, out of the outbox, until "Gửi" (decision 155); its
      // photos stay with it, staged, and are queued after it when it is sent.
      if (status === "draft") {
        await saveDraft(local, { draftKey });
        await photos().then((m) => m.stageWithDraft(draftKey, recordId));
      } else {
        await queueUpsert(local, changed, { draftKey });
        await photos().then((m) => m.commitStaged(draftKey, recordId)); // queued after the activity
      }
    } catch (err) {
      alert.textContent = err instanceof store.StorageFull ? t("storage_full") : String(err);
      if (err instanceof store.StorageFull) app.storageFull();
      return;
    }
    // The list opens on the saved entry; only what was queued is sent (a draft is not).
    if (status !== "draft") app.saved(recordId);
    else app.shown = recordId;
    app.go("#/");
  });
  return [form];
}
