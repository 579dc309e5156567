// What waits, what the server refused and why, and conflicts to decide: the place where
// nothing is ever silently lost.

import { NetworkError } from "../../shared/api.js";
import * as store from "../../shared/db.js";
import { canRefile, movedAway } from "../../shared/outbox.js";
import { said, t } from "../i18n.js";
import { resolveConflict } from "../../shared/sync.js";
import { showDate, showTime } from "../text.js";
import { button, discardButton, el, refileButton, refusal } from "../ui.js";

function when(iso) {
  return iso ? showTime(iso) : "—";
}

function valueText(value, field) {
  if (value === null || value === undefined || value === "") return "—";
  if (field === "starts_on" || field === "ends_on") return showDate(value);
  if (typeof value === "object") {
    if (value.title) return `${value.title} (${showDate(value.starts_on)})`;
    return Object.entries(value).map(([k, v]) => `${k}: ${v}`).join(", ") || "—";
  }
  return String(value);
}

/** The last sync's problem in the person's words: the server's, or ours for the phone's own. */
function whyStopped(problem) {
  // What was sent may have been applied (an outage after the commit, a cut answer): our
  // words say so, whatever an older server's message claims.
  if (problem.code === "database_unavailable") return t("db_unavailable");
  if (problem.unconfirmed && problem.code === "network") return t("push_cut");
  if (problem.message) return said(problem);
  if (problem.code === "network") return t("offline");
  if (problem.code === "storage_full") return t("storage_full");
  return problem.code;
}

export async function syncScreen(app) {
  const [entries, records, conflicts, lastSync, lastError] = await Promise.all([
    store.outbox(), store.all("records"), store.all("conflicts"), store.getMeta("last_sync"), store.getMeta("sync_error"),
  ]);
  const byId = Object.fromEntries(records.map((r) => [r.id, r]));
  const titleOf = (id) => (byId[id] ? byId[id].title : id);
  const parts = [el("h1", { text: t("sync_title") })];

  parts.push(el("dl", { class: "facts" },
    el("dt", { text: t("last_sync") }), el("dd", { id: "last-sync", text: when(lastSync) }),
    ...(lastError ? [el("dt", { text: t("last_error") }), el("dd", { id: "last-error", text: whyStopped(lastError) })] : []),
  ));
  parts.push(button(t("sync_check"), { id: "sync-now", onclick: () => app.sync() }));

  const waiting = el("ul", { id: "waiting", class: "plain" });
  for (const m of entries) {
    waiting.append(el("li", { text: `#${m.n} · ${t(`op_${m.op}`)} · ${titleOf(m.id)}` }));
  }
  if (!entries.length) waiting.append(el("li", { text: t("nothing_waiting") }));
  parts.push(el("h2", { text: `${t("waiting_list")} (${entries.length})` }), waiting);

  const rejected = records.filter((r) => r._rejected);
  if (rejected.length) {
    const list = el("ul", { id: "rejected", class: "records" });
    for (const r of rejected) {
      const reasons = [refusal(r, app.reference)];
      for (const [name, problems] of Object.entries(r._rejected.errors || {})) {
        const flat = Array.isArray(problems) ? problems : Object.values(problems).flat();
        reasons.push(`${t(`f_${name}`)}: ${flat.map(said).join("; ")}`);
      }
      const problem = el("p", { class: "error", role: "alert" });
      // One of a branch the person has left cannot be fixed there: filed again in their
      // branch (a record the server never had) or discarded.
      const moved = movedAway(r, app.reference);
      list.append(el("li", { "data-id": r.id },
        el("strong", { text: r.title }),
        ...reasons.map((text) => el("p", { class: "error", text })),
        problem,
        el("div", { class: "actions" },
          moved
            ? (canRefile(r, app.reference) ? refileButton(app, r, problem) : null)
            : el("a", { class: "button", href: `#/a/${r.id}/edit`, text: t("fix_resend") }),
          discardButton(app, r),
        ),
      ));
    }
    parts.push(el("h2", { text: t("rejected_title") }), list);
  }

  if (conflicts.length) {
    const list = el("ul", { id: "conflicts", class: "records" });
    for (const c of conflicts) {
      // A value someone else in the branch sent is shown and chosen under their name.
      const theirs = c.mine === false;
      const by = (c.by && c.by.full_name) || t("someone");
      const what = c.kind === "field" ? t(`f_${c.field}`) : t(theirs ? `k_${c.kind}_other` : `k_${c.kind}`, { name: by });
      const message = el("p", { class: "error" });
      const choose = (choice) => async () => {
        try {
          await resolveConflict(c.id, choice);
          app.render();
        } catch (err) {
          message.textContent = err instanceof NetworkError ? t("need_network") : said(err.body) || String(err);
        }
      };
      list.append(el("li", { "data-id": c.id },
        // A record deleted on the server is gone from the phone: its kept edit has the title.
        el("strong", { text: byId[c.record_id] ? titleOf(c.record_id) : (c.client_value && c.client_value.title) || titleOf(c.record_id) }),
        el("p", { text: what }),
        el("div", { class: "sides" },
          el("div", { class: "side server" }, el("small", { text: t("server_value") }), el("p", { class: "server-value", text: valueText(c.server_value, c.field) })),
          el("div", { class: "side mine" }, el("small", { text: theirs ? t("their_value", { name: by }) : t("my_value") }), el("p", { class: "client-value", text: valueText(c.client_value, c.field) })),
        ),
        message,
        el("div", { class: "actions" },
          button(t("keep_server"), { class: "secondary keep-server", onclick: choose("server") }),
          button(theirs ? t("keep_theirs", { name: by }) : t("keep_mine"), { class: "keep-mine", onclick: choose("client") }),
        ),
      ));
    }
    parts.push(el("h2", { text: t("conflicts_title") }), list);
  }
  return parts;
}
