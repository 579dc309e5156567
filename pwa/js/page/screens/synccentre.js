// What waits, what the server refused and why, and conflicts to decide: the place where
// nothing is ever silently lost.

import { NetworkError } from "../../shared/api.js";
import * as store from "../../shared/db.js";
import { pendingEntries, wonBy } from "../../shared/entries.js";
import { said, t } from "../i18n.js";
import { resolveConflict } from "../../shared/sync.js";
import { showDate, showTime } from "../text.js";
import { button, el } from "../ui.js";
import { refusedBox } from "./refused.js";

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
  const [entries, records, conflicts, lastSync, lastError, authored] = await Promise.all([
    store.outbox(), store.all("records"), store.all("conflicts"), store.getMeta("last_sync"), store.getMeta("sync_error"),
    store.getMeta("authored"),
  ]);
  const byId = Object.fromEntries(records.map((r) => [r.id, r]));
  const titleOf = (id) => (byId[id] ? byId[id].title : id);
  const parts = [el("h1", { text: t("sync_title") })];

  parts.push(el("dl", { class: "facts" },
    el("dt", { text: t("last_sync") }), el("dd", { id: "last-sync", text: when(lastSync) }),
    ...(lastError ? [el("dt", { text: t("last_error") }), el("dd", { id: "last-error", text: whyStopped(lastError) })] : []),
  ));
  parts.push(button(t("sync_check"), { id: "sync-now", onclick: () => app.sync() }));

  // One line per entry, in the person's words, with what will happen to it; the protocol's
  // mutations stay reachable underneath for whoever helps (decision 157).
  const pending = pendingEntries(entries);
  const waiting = el("ul", { id: "waiting", class: "plain" });
  for (const entry of pending) {
    waiting.append(el("li", { "data-id": entry.id, "data-effect": entry.effect },
      el("strong", { text: titleOf(entry.id) }), el("br"), el("small", { text: t(`eff_${entry.effect}`) })));
  }
  if (!pending.length) waiting.append(el("li", { text: t("nothing_waiting") }));
  parts.push(el("h2", { text: `${t("waiting_list")} (${pending.length})` }), waiting);
  if (entries.length) {
    const detail = el("ul", { class: "plain" });
    for (const m of entries) detail.append(el("li", { text: `#${m.n} · ${t(`op_${m.op}`)} · ${titleOf(m.id)}` }));
    parts.push(el("details", { id: "protocol-detail" }, el("summary", { text: t("protocol_detail") }), detail));
  }

  const drafts = records.filter((r) => r._draft && !r._rejected);
  if (drafts.length) {
    const list = el("ul", { id: "drafts", class: "plain" });
    for (const r of drafts) list.append(el("li", { "data-id": r.id }, el("a", { href: `#/a/${r.id}`, text: r.title })));
    parts.push(el("h2", { text: `${t("drafts_title")} (${drafts.length})` }), list);
  }

  const rejected = records.filter((r) => r._rejected);
  if (rejected.length) {
    const list = el("ul", { id: "rejected", class: "records" });
    for (const r of rejected) {
      const fields = [];
      for (const [name, problems] of Object.entries(r._rejected.errors || {})) {
        const flat = Array.isArray(problems) ? problems : Object.values(problems).flat();
        fields.push(`${t(`f_${name}`)}: ${flat.map(said).join("; ")}`);
      }
      // Only what can work for its reason is offered (refused.js).
      list.append(el("li", { "data-id": r.id },
        el("strong", { text: r.title }),
        ...fields.map((text) => el("p", { class: "error", text })),
        refusedBox(app, r),
      ));
    }
    parts.push(el("h2", { text: t("rejected_title") }), list);
  }

  if (conflicts.length) {
    const list = el("ul", { id: "conflicts", class: "records" });
    for (const c of conflicts) {
      // A value someone else in the branch sent is shown and chosen under their name.
      const theirs = c.mine === false;
      // The kept value is one this phone wrote: the other member decides, not us.
      const won = wonBy(c, authored);
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
        won
          ? el("p", { class: "hint you-won", text: t("you_won", { name: by }) })
          : el("div", { class: "actions" },
            button(t("keep_server"), { class: "secondary keep-server", onclick: choose("server") }),
            button(theirs ? t("keep_theirs", { name: by }) : t("keep_mine"), { class: "keep-mine", onclick: choose("client") }),
          ),
      ));
    }
    parts.push(el("h2", { text: t("conflicts_title") }), list);
  }
  return parts;
}
