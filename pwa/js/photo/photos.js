// The evidence photos of an activity on screen: take one with the camera or pick from the
// gallery (offline: shrunk and kept on the phone at once, thumbnail shown), each photo's
// state (waiting, sending with progress, sent, refused with the reason), and the settings
// (only on Wi-Fi, how much space waiting photos take). Loaded by the screens with
// import() only when drawn, so the first visit does not pay for it.

import * as store from "../shared/db.js";
import { language } from "../page/i18n.js";
import { button, el } from "../page/ui.js";
import { NotAnImage, shrink } from "./encode.js";
import { addPhoto, commitStaged, discardStaged, forgetActivity, NoRoom, photosOf, remoteThumb, removePhoto, sendStaged, space, stageWithDraft, waiting } from "./store.js";

export { commitStaged, discardStaged, forgetActivity, sendStaged, stageWithDraft };

const WARN_FREE_BYTES = 100 * 1024 * 1024; // less than this left: say so before it runs out

const STRINGS = {
  photos: ["Ảnh minh chứng", "Evidence photos"],
  camera: ["Chụp ảnh", "Take a photo"],
  gallery: ["Chọn ảnh", "Choose photos"],
  preparing: ["Đang thu nhỏ ảnh…", "Shrinking the photo…"],
  none: ["Chưa có ảnh.", "No photos yet."],
  staged: ["Gửi khi lưu hoạt động", "Sent when the activity is saved"],
  pending: ["Chờ gửi", "Waiting to send"],
  sending: ["Đang gửi {p}%", "Sending {p}%"],
  sent: ["Đã gửi", "Sent"],
  on_server: ["Trên máy chủ", "On the server"],
  remove: ["Xoá ảnh", "Remove photo"],
  confirm_remove: ["Xoá ảnh này?", "Remove this photo?"],
  retry: ["Thử lại", "Try again"],
  total: ["Đang gửi ảnh: {sent} / {total}", "Sending photos: {sent} / {total}"],
  waiting_space: ["{n} ảnh chờ gửi, chiếm {size} trên điện thoại.", "{n} photos waiting to send, taking {size} on the phone."],
  low_space: ["Điện thoại sắp hết chỗ (còn {free}). Hãy gửi ảnh chờ khi có mạng hoặc giải phóng bộ nhớ.", "The phone is running out of space ({free} left). Send waiting photos when online or free some storage."],
  no_room: ["Không đủ chỗ trên điện thoại để lưu ảnh này. Ảnh chưa được lưu.", "Not enough space on the phone to keep this photo. It was not kept."],
  not_image: ["Tệp này không phải ảnh mà điện thoại đọc được.", "This file is not a picture the phone can read."],
  full: ["Bộ nhớ điện thoại đã đầy: không lưu được ảnh.", "The phone's storage is full: the photo could not be kept."],
  wifi_only: ["Chỉ gửi ảnh khi có Wi-Fi", "Send photos only on Wi-Fi"],
  wifi_hint: ["Điện thoại không cho biết loại mạng (một số trình duyệt): khi đó ảnh vẫn được gửi.", "Where the browser does not say which network it is on, photos are sent anyway."],
  waiting_wifi: ["Ảnh chờ Wi-Fi để gửi.", "Photos wait for Wi-Fi."],
  signed_out: ["Hãy đăng nhập lại để gửi ảnh. Ảnh vẫn được giữ trên điện thoại.", "Sign in again to send photos. They are kept on the phone."],
  // The server's refusals (PROTOCOL §9): the photo stays on the phone in every case.
  hash_mismatch: ["Ảnh bị hỏng khi gửi (mã kiểm tra không khớp), đã thử lại. Ảnh vẫn được giữ.", "The photo arrived damaged (checksum mismatch), even on a second try. It is kept."],
  not_an_image: ["Máy chủ không nhận tệp này là ảnh. Ảnh vẫn được giữ trên điện thoại.", "The server did not accept this file as a picture. It is kept on the phone."],
  image_too_large: ["Ảnh quá lớn với máy chủ (quá nhiều điểm ảnh). Ảnh vẫn được giữ.", "The picture is too large for the server (too many pixels). It is kept."],
  upload_too_large: ["Tệp gửi lớn hơn kích thước đã khai. Ảnh vẫn được giữ.", "More bytes than declared were sent. The photo is kept."],
  quota_exceeded: ["Chi đoàn đã dùng hết dung lượng ảnh trên máy chủ. Ảnh vẫn được giữ; hãy báo cán bộ phụ trách.", "The branch has used up its photo storage on the server. The photo is kept; tell your officer."],
  activity_unknown: ["Máy chủ chưa có hoạt động của ảnh này (bị từ chối hoặc đã xoá). Ảnh vẫn được giữ; ảnh được gửi lại khi hoạt động được sửa và gửi lại.", "The server does not have this photo's activity (refused or deleted). The photo is kept, and sent again when the activity is fixed and resent."],
  not_found: ["Máy chủ không còn bản ghi của ảnh này (hoạt động đã bị xoá?). Ảnh vẫn được giữ.", "The server no longer has this photo's record (activity deleted?). The photo is kept."],
  failed: ["Không lưu được ảnh: {why}", "The photo could not be kept: {why}"],
  refused: ["Máy chủ từ chối ảnh: {why}", "The server refused the photo: {why}"],
};

function tr(key, params = {}) {
  const pair = STRINGS[key] || [key, key];
  const text = pair[language() === "en" ? 1 : 0];
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in params ? String(params[k]) : `{${k}}`));
}

export function size(bytes) {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

function asDataUrl(blob) {
  // The Content-Security-Policy allows images from data: (not blob:) URLs.
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** Why a photo stays on the phone, in words. */
function reason(problem) {
  if (STRINGS[problem.code]) return tr(problem.code);
  const why = (language() === "en" && problem.message_en) || problem.message || problem.code;
  return tr("refused", { why });
}

function stateText(p) {
  if (p.rec._rejected) return reason(p.rec._rejected.reason || {});
  if (p.problem) return reason(p.problem);
  if (p.rec._staged) return tr("staged");
  if (p.waiting) return tr("pending");
  return p.rec.stored ? tr("on_server") : tr("sent");
}

async function spaceNotes() {
  const notes = [];
  const w = await waiting();
  if (w.count) notes.push(el("p", { class: "hint", id: "photos-waiting", text: tr("waiting_space", { n: w.count, size: size(w.bytes) }) }));
  const room = await space();
  if (room && room.quota && room.free < WARN_FREE_BYTES) {
    notes.push(el("p", { class: "error", id: "photos-low-space", role: "alert", text: tr("low_space", { free: size(room.free) }) }));
  }
  return notes;
}

/**
 * Fill `section` with the photos of an activity (`activityId`) or of the entry form's
 * draft (`draftKey`: staged until the activity is saved).
 */
export async function mountPhotos(section, app, { activityId = null, draftKey = null, editable = true }) {
  const owner = { activityId, draftKey };
  const grid = el("ul", { class: "photos", id: "photo-list" });
  const message = el("p", { class: "error", id: "photo-error", role: "alert" });
  const progress = el("p", { class: "hint", id: "photo-progress", role: "status" });
  const notes = el("div", { id: "photo-notes" });
  const heading = el("h2", { text: tr("photos") });
  const figures = new Map();

  async function draw() {
    const photos = (await photosOf(owner)).sort((a, b) => (a.rec.captured_at || "").localeCompare(b.rec.captured_at || ""));
    heading.textContent = `${tr("photos")} (${photos.length})`;
    figures.clear();
    grid.replaceChildren();
    if (!photos.length) grid.append(el("li", { class: "empty", text: tr("none") }));
    for (const p of photos) {
      const img = el("img", { alt: tr("photos"), width: "96", height: "96", loading: "lazy" });
      const state = el("span", { class: "state", text: stateText(p) });
      const bar = el("progress", { max: "100", value: "0", hidden: true });
      const item = el("li", { "data-id": p.rec.id, "data-state": p.rec._rejected || p.problem ? "refused" : p.waiting ? "waiting" : "sent" }, img, state, bar);
      if (p.problem && !p.rec._rejected) {
        item.append(button(tr("retry"), { class: "link retry", onclick: async () => {
          const bytes = await store.get("photos", p.rec.id);
          if (bytes) await store.putAll({ photos: { ...bytes, problem: null } });
          app.saved();
          await draw();
        } }));
      }
      if (editable) {
        item.append(button(tr("remove"), { class: "link remove", onclick: async () => {
          if (!confirm(tr("confirm_remove"))) return;
          await removePhoto(p.rec);
          if (!p.rec._staged) app.saved();
          await draw();
        } }));
      }
      figures.set(p.rec.id, { state, bar });
      grid.append(item);
      const thumb = p.thumb || (p.rec.stored && app.session ? remoteThumb(p.rec.id, app.session.token) : null);
      Promise.resolve(thumb).then((blob) => (blob ? asDataUrl(blob) : null)).then((url) => {
        if (url) img.src = url;
      }, () => {});
    }
    notes.replaceChildren(...(await spaceNotes()));
  }

  async function add(input) {
    const files = [...input.files];
    input.value = "";
    message.textContent = "";
    for (const file of files) {
      progress.textContent = tr("preparing");
      try {
        const shrunk = await shrink(file);
        await addPhoto(shrunk, { ...owner, capturedAt: file.lastModified ? new Date(file.lastModified) : null });
      } catch (err) {
        if (err instanceof NoRoom) message.textContent = tr("no_room");
        else if (err instanceof NotAnImage) message.textContent = tr("not_image");
        else if (err instanceof store.StorageFull) message.textContent = tr("full");
        else message.textContent = tr("failed", { why: String((err && err.message) || err) });
        break;
      } finally {
        progress.textContent = "";
      }
      await draw();
    }
    section.dataset.added = String(Number(section.dataset.added || 0) + files.length);
    if (activityId) app.saved(); // queued: send it now if the phone can
  }

  const parts = [heading, grid];
  if (editable) {
    const camera = el("input", { type: "file", accept: "image/*", capture: "environment", id: "photo-camera", class: "visually-hidden" });
    const gallery = el("input", { type: "file", accept: "image/*", multiple: true, id: "photo-gallery", class: "visually-hidden" });
    camera.addEventListener("change", () => add(camera));
    gallery.addEventListener("change", () => add(gallery));
    parts.push(el("div", { class: "actions" },
      camera, gallery,
      button(tr("camera"), { id: "photo-take", onclick: () => camera.click() }),
      button(tr("gallery"), { id: "photo-pick", class: "secondary", onclick: () => gallery.click() })));
  }
  parts.push(progress, message, notes);
  section.replaceChildren(...parts);

  const onUpload = (event) => {
    if (!section.isConnected) {
      self.removeEventListener("sodoan-upload", onUpload);
      return;
    }
    const d = event.detail || {};
    if (d.total) progress.textContent = tr("total", { sent: size(d.sent_total), total: size(d.total) });
    const fig = d.id && figures.get(d.id);
    if (fig && d.size) {
      fig.bar.hidden = false;
      fig.bar.value = String(Math.floor((100 * d.sent) / d.size));
      fig.state.textContent = d.sent >= d.size ? tr("sent") : tr("sending", { p: Math.floor((100 * d.sent) / d.size) });
    }
    if (d.finished || d.problem || d.stopped) {
      if (d.stopped === "waiting_wifi" || d.stopped === "signed_out") progress.textContent = tr(d.stopped);
      else if (d.finished) progress.textContent = "";
      draw();
    }
  };
  self.addEventListener("sodoan-upload", onUpload);
  await draw();
  section.dataset.ready = "1";
}

/** The settings' part: only on Wi-Fi, and the space waiting photos take. */
export async function mountSettings(section) {
  const box = el("input", { type: "checkbox", id: "photos-wifi-only" });
  box.checked = !!(await store.getMeta("photos_wifi_only"));
  box.addEventListener("change", () => store.setMeta({ photos_wifi_only: box.checked || undefined }));
  section.replaceChildren(
    el("h2", { text: tr("photos") }),
    el("label", { class: "check", for: "photos-wifi-only" }, box, " ", el("span", { text: tr("wifi_only") })),
    el("p", { class: "hint", text: tr("wifi_hint") }),
    ...(await spaceNotes()),
  );
}

