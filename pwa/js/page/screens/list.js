// The branch's activities, newest first, with filters and a search that ignores accents.

import { language, t } from "../i18n.js";
import * as store from "../../shared/db.js";
import { fold, showDate } from "../text.js";
import { badge, el, stateOf, typeName } from "../ui.js";

// Kept while the app is open, so coming back from a detail keeps the person's filters.
const filters = { q: "", month: "", type: "", status: "", open: false };

function matches(rec, reference) {
  if (filters.month && !(rec.starts_on || "").startsWith(filters.month)) return false;
  if (filters.type && rec.type !== filters.type) return false;
  if (filters.status && stateOf(rec).key !== filters.status) return false;
  if (filters.q) {
    const hay = fold([rec.title, rec.place, rec.description, typeName(reference, rec.type, "vi")].join(" "));
    if (!fold(filters.q).split(/\s+/).every((word) => hay.includes(word))) return false;
  }
  return true;
}

function select(id, label, options, value, onChange) {
  const node = el("select", { id, "aria-label": label });
  for (const [v, text] of options) node.append(el("option", { value: v, text }));
  node.value = value;
  node.addEventListener("change", () => onChange(node.value));
  return node;
}

export async function listScreen(app) {
  const reference = app.reference;
  const lang = language();
  // Returned entries first: they are what the member has to act on.
  const records = (await store.all("records")).sort(
    (a, b) => (stateOf(b).key === "returned") - (stateOf(a).key === "returned")
      || (b.starts_on || "").localeCompare(a.starts_on || "") || (b.recorded_at || "").localeCompare(a.recorded_at || ""),
  );
  const list = el("ul", { class: "records", id: "records" });

  const months = [...new Set(records.map((r) => (r.starts_on || "").slice(0, 7)))].filter(Boolean).sort().reverse();
  const usedTypes = [...new Set(records.map((r) => r.type))];
  const statuses = ["waiting", "rejected", "draft", "submitted", "returned", "verified"];
  const statusText = { waiting: t("st_pending"), rejected: t("st_rejected"), draft: t("st_draft"), submitted: t("st_submitted"), returned: t("st_returned"), verified: t("st_verified") };

  function fill() {
    const shown = records.filter((r) => matches(r, reference));
    list.replaceChildren();
    for (const r of shown) {
      const link = el(
        "a",
        { href: `#/a/${r.id}`, class: "record" },
        el("strong", { text: r.title }),
        " ",
        badge(r),
        el("div", { class: "meta", text: `${showDate(r.starts_on)} · ${typeName(reference, r.type, lang)}` }),
        el("div", { class: "meta", text: t("members_n", { n: r.members_count || 0 }) }),
      );
      list.append(el("li", { "data-id": r.id }, link));
    }
    if (!shown.length) list.append(el("li", { class: "empty", text: records.length ? t("none_found") : t("none_yet") }));
  }

  const search = el("input", { id: "search", type: "search", placeholder: t("search_short"), "aria-label": t("search"), value: filters.q });
  search.addEventListener("input", () => {
    filters.q = search.value;
    fill();
  });
  // The three filters fold behind one button (on 640 px they took a third of the screen);
  // open while any of them is set, so a filtered list never hides why it is short.
  const more = el(
    "div",
    { class: "filters", id: "filters-more", hidden: !(filters.open || filters.month || filters.type || filters.status) },
    select("filter-month", t("all_months"), [["", t("all_months")], ...months.map((m) => [m, `${m.slice(5)}/${m.slice(0, 4)}`])], filters.month, (v) => { filters.month = v; fill(); }),
    select("filter-type", t("all_types"), [["", t("all_types")], ...usedTypes.map((c) => [c, typeName(reference, c, lang)])], filters.type, (v) => { filters.type = v; fill(); }),
    select("filter-status", t("all_statuses"), [["", t("all_statuses")], ...statuses.map((s) => [s, statusText[s]])], filters.status, (v) => { filters.status = v; fill(); }),
  );
  const toggle = el("button", {
    type: "button", id: "filters-toggle", class: "secondary", text: t("filters"),
    "aria-controls": "filters-more", "aria-expanded": String(!more.hidden),
  });
  toggle.addEventListener("click", () => {
    more.hidden = !more.hidden;
    filters.open = !more.hidden;
    toggle.setAttribute("aria-expanded", String(!more.hidden));
  });
  const bar = el("div", { class: "search-row" }, search, toggle);
  fill();
  const returned = records.filter((r) => stateOf(r).key === "returned");
  const banner = returned.length
    ? el("div", { class: "box returned", id: "returned-banner", role: "status" },
      el("strong", { text: t("returned_banner", { n: returned.length }) }),
      el("ul", { class: "plain" }, ...returned.map((r) => el("li", {}, el("a", { href: `#/a/${r.id}/edit`, text: r.title })))))
    : null;
  return [banner, el("h1", { text: t("list_title") }), bar, more, list].filter(Boolean);
}
