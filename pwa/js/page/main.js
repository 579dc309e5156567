// The page: sign in once, then list and record activities, offline first.
// Text a user typed is always set with textContent, never parsed as HTML.

import { call, HttpError } from "./api.js";
import * as store from "./db.js";
import { syncNow } from "./sync.js";

const view = document.getElementById("view");
const status = document.getElementById("status");
const syncButton = document.getElementById("sync");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function field(label, input) {
  return el("label", { text: label }, input);
}

function vnDate(iso) {
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

async function session() {
  return (await store.getMeta("session")) || null;
}

async function showStatus() {
  const waiting = (await store.all("outbox")).length;
  const last = await store.getMeta("last_sync");
  const parts = [];
  if (!navigator.onLine) parts.push("Không có mạng");
  if (waiting) parts.push(`${waiting} mục đang chờ gửi`);
  else if (last) parts.push(`Đã đồng bộ lúc ${new Date(last).toLocaleString("vi-VN")}`);
  status.textContent = parts.join(" · ") || "Chưa đồng bộ";
  status.className = navigator.onLine ? "" : "offline";
}

async function sync() {
  const s = await session();
  if (!s) return;
  status.textContent = "Đang đồng bộ…";
  try {
    await syncNow(s);
  } catch (err) {
    if (!(err instanceof HttpError) && !(err instanceof TypeError)) throw err;
    // Offline or refused: everything stays in the outbox for the next attempt.
  }
  await render();
}

function signInView() {
  const username = el("input", { id: "username", autocomplete: "username", required: "" });
  const password = el("input", { id: "password", type: "password", required: "" });
  const error = el("p", { class: "error", role: "alert" });
  const form = el(
    "form",
    {},
    el("h1", { text: "Đăng nhập" }),
    field("Tên đăng nhập (số điện thoại)", username),
    field("Mật khẩu", password),
    error,
    el("button", { type: "submit", text: "Đăng nhập" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const deviceId = crypto.randomUUID();
    try {
      const answer = await call("/devices", {
        username: username.value,
        password: password.value,
        device_id: deviceId,
        device_name: navigator.userAgent.slice(0, 100),
      });
      await store.setMeta({
        session: { token: answer.token, device_id: deviceId, user: answer.user },
        next_n: 1,
      });
      await sync();
    } catch (err) {
      error.textContent =
        err instanceof HttpError ? err.message : "Không có mạng: cần mạng để đăng nhập lần đầu";
    }
  });
  view.replaceChildren(form);
}

async function listView(s) {
  const reference = (await store.getMeta("reference")) || { activity_types: [] };
  const records = (await store.all("records")).sort((a, b) =>
    (b.starts_on || "").localeCompare(a.starts_on || ""),
  );
  const list = el("ul", { class: "records", id: "records" });
  for (const r of records) {
    const badge = r._pending
      ? el("span", { class: "badge waiting", text: "Đang chờ gửi" })
      : el("span", { class: "badge synced", text: "Đã đồng bộ" });
    list.append(el("li", {}, el("strong", { text: r.title }), " ", badge,
      el("div", { text: `${vnDate(r.starts_on)} · ${r.members_count} đoàn viên` })));
  }
  if (!records.length) list.append(el("li", { text: "Chưa có hoạt động nào." }));

  const type = el("select", { id: "type" });
  for (const t of reference.activity_types.filter((t) => t.active)) {
    type.append(el("option", { value: t.code, text: t.name_vi }));
  }
  const title = el("input", { id: "title", required: "", maxlength: "200" });
  const day = el("input", { id: "starts_on", type: "date", required: "" });
  day.value = new Date().toISOString().slice(0, 10);
  const members = el("input", { id: "members_count", type: "number", min: "0", value: "0" });
  const form = el(
    "form",
    { id: "new-activity" },
    el("h2", { text: "Ghi hoạt động mới" }),
    field("Loại hoạt động", type),
    field("Tên hoạt động", title),
    field("Ngày", day),
    field("Số đoàn viên tham gia", members),
    el("button", { type: "submit", text: "Lưu" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const n = (await store.getMeta("next_n")) || 1;
    const id = crypto.randomUUID();
    const record = {
      unit_id: s.user.unit_id,
      type: type.value,
      title: title.value.trim(),
      starts_on: day.value,
      ends_on: day.value,
      place: "",
      members_count: Number(members.value || 0),
      citizens_served: 0,
      volunteer_hours: "0.0",
      quantities: {},
      description: "",
      status: "submitted",
      recorded_at: new Date().toISOString(),
    };
    await store.saveLocal(
      { id, version: 0, ...record, _pending: true },
      { n, collection: "activities", op: "upsert", id, base_version: null, record,
        typed_at: record.recorded_at },
    );
    await render();
    if (navigator.onLine) sync();
  });
  view.replaceChildren(el("h1", { text: "Hoạt động của chi đoàn" }), list, form);
}

async function render() {
  const s = await session();
  syncButton.hidden = !s;
  await showStatus();
  if (!s) signInView();
  else await listView(s);
}

syncButton.addEventListener("click", sync);
window.addEventListener("online", sync);
window.addEventListener("offline", showStatus);

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js", { scope: "/app/" });
}
if (navigator.storage && navigator.storage.persist) navigator.storage.persist();

render().then(() => {
  if (navigator.onLine) sync();
});
