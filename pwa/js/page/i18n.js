// Vietnamese first, English second. The language is kept on the phone (meta "lang").

const STRINGS = {
  app_opening: ["Đang mở…", "Opening…"],
  sign_in: ["Đăng nhập", "Sign in"],
  username: ["Tên đăng nhập (số điện thoại)", "Username (phone number)"],
  password: ["Mật khẩu", "Password"],
  use_code: ["Dùng mã kích hoạt", "Use an enrolment code"],
  use_password: ["Dùng mật khẩu", "Use a password"],
  enrolment_code: ["Mã kích hoạt (do cán bộ cấp)", "Enrolment code (from your secretary)"],
  need_network_sign_in: ["Không có mạng: cần mạng để đăng nhập", "No network: signing in needs a connection"],
  revoked: [
    "Thiết bị này đã bị thu hồi hoặc phiên đăng nhập hết hạn. {waiting} mục chưa gửi vẫn được giữ trên máy; hãy đăng nhập lại để gửi.",
    "This device was revoked or its session ended. {waiting} unsent entries are kept on the phone; sign in again to send them.",
  ],
  nav_list: ["Hoạt động", "Activities"],
  nav_new: ["Ghi mới", "New"],
  nav_sync: ["Hộp gửi", "Outbox"],
  nav_settings: ["Cài đặt", "Settings"],
  // Three controls, three names (issue 15): the header's quick action, the outbox tab,
  // and the outbox's own check with the server.
  sync_now: ["Gửi ngay", "Send now"],
  sync_now_hint: ["Gửi các mục đang chờ và nhận dữ liệu mới", "Send what waits and fetch what is new"],
  sync_check: ["Kiểm tra với máy chủ", "Check with the server"],
  signin_to_send: ["Phiên đăng nhập đã hết: mục mới vẫn được lưu trên máy. Đăng nhập để gửi.", "Your sign-in has ended: new entries are still kept on the phone. Sign in to send them."],
  filters: ["Lọc", "Filter"],
  syncing: ["Đang đồng bộ…", "Syncing…"],
  offline: ["Không có mạng", "No network"],
  waiting: ["{n} mục đang chờ gửi", "{n} entries waiting"],
  synced_at: ["Đã đồng bộ lúc {time}", "Synced at {time}"],
  never_synced: ["Chưa đồng bộ", "Not synced yet"],
  sync_failed: ["Đồng bộ chưa được, sẽ thử lại lúc {time}", "Sync failed, will retry at {time}"],
  sync_unconfirmed: [
    "Máy chủ chưa xác nhận, sẽ gửi lại lúc {time}",
    "Not confirmed by the server yet; will send again at {time}",
  ],
  db_unavailable: [
    "Máy chủ tạm thời gián đoạn. Các mục vừa gửi có thể đã được ghi; điện thoại sẽ tự gửi lại đúng các mục đó và máy chủ không ghi mục nào hai lần.",
    "The server was briefly unavailable. What was just sent may have been saved; the phone sends the same entries again, and the server never saves one twice.",
  ],
  push_cut: [
    "Mất kết nối khi đang gửi. Các mục có thể đã tới máy chủ; điện thoại sẽ tự gửi lại, không mục nào bị ghi hai lần.",
    "The connection dropped while sending. The entries may have reached the server; the phone sends them again, and none is saved twice.",
  ],
  sync_failed_stopped: ["Lần đồng bộ gần nhất không thành công", "The last sync did not succeed"],
  rejected_count: ["{n} mục bị từ chối", "{n} entries refused"],
  conflict_count: ["{n} xung đột", "{n} conflicts"],
  upgrade_required: ["Cần cập nhật ứng dụng để đồng bộ tiếp", "Update the app to keep syncing"],
  new_version: ["Có phiên bản mới", "A new version is available"],
  update_now: ["Cập nhật", "Update"],
  list_title: ["Hoạt động của chi đoàn", "Branch activities"],
  search: ["Tìm (có dấu hoặc không dấu)", "Search (with or without accents)"],
  search_short: ["Tìm, gõ dấu hay không", "Search, accents optional"],
  all_months: ["Mọi tháng", "All months"],
  all_types: ["Mọi loại", "All types"],
  all_statuses: ["Mọi trạng thái", "All statuses"],
  none_yet: ["Chưa có hoạt động nào.", "No activities yet."],
  none_found: ["Không tìm thấy hoạt động nào.", "No activity matches."],
  st_pending: ["Đang chờ gửi", "Waiting to send"],
  st_rejected: ["Bị từ chối", "Refused"],
  st_draft: ["Nháp (trên máy chủ)", "Draft (on the server)"],
  st_phone_draft: ["Nháp · chỉ trên điện thoại", "Draft · on this phone only"],
  st_submitted: ["✓ Đã gửi · Chờ duyệt", "✓ Sent · Submitted"],
  st_verified: ["Đã xác nhận", "Verified"],
  st_returned: ["Bị trả lại", "Returned"],
  st_synced: ["Đã đồng bộ", "Synced"],
  st_deleting: ["Chờ xoá", "Waiting to delete"],
  members_n: ["{n} đoàn viên", "{n} members"],
  new_title: ["Ghi hoạt động mới", "New activity"],
  edit_title: ["Sửa hoạt động", "Edit activity"],
  f_type: ["Loại hoạt động", "Activity type"],
  f_title: ["Tên hoạt động", "Title"],
  f_starts_on: ["Ngày bắt đầu (dd/mm/yyyy)", "Start date (dd/mm/yyyy)"],
  f_ends_on: ["Ngày kết thúc (dd/mm/yyyy)", "End date (dd/mm/yyyy)"],
  d_starts_on: ["Ngày bắt đầu", "Start date"],
  d_ends_on: ["Ngày kết thúc", "End date"],
  f_place: ["Địa điểm", "Place"],
  f_members_count: ["Số đoàn viên tham gia", "Members taking part"],
  f_citizens_served: ["Số người dân được phục vụ", "Citizens served"],
  f_volunteer_hours: ["Số giờ tình nguyện", "Volunteer hours"],
  f_description: ["Mô tả", "Description"],
  f_quantities: ["Kết quả", "Results"],
  f_pillar: ["Trách nhiệm", "Responsibility"],
  save_submit: ["Gửi", "Send"],
  save_draft: ["Lưu nháp", "Save as draft"],
  cancel: ["Huỷ", "Cancel"],
  draft_restored: ["Đã khôi phục bản đang nhập dở.", "Your unsaved entry was restored."],
  fix_errors: ["Vui lòng sửa các ô được đánh dấu.", "Please fix the marked fields."],
  storage_full: [
    "Bộ nhớ điện thoại đã đầy: chưa lưu được. Hãy xoá bớt ảnh hoặc ứng dụng rồi thử lại; những gì đã lưu vẫn còn.",
    "The phone's storage is full: not saved. Free some space and try again; what was saved is still there.",
  ],
  storage_full_short: ["Bộ nhớ điện thoại đã đầy", "The phone's storage is full"],
  not_found: ["Không tìm thấy hoạt động này.", "Activity not found."],
  review_comment: ["Nhận xét của người duyệt", "Reviewer's comment"],
  edit: ["Sửa", "Edit"],
  delete: ["Xoá", "Delete"],
  confirm_delete: ["Xoá hoạt động “{title}”?", "Delete “{title}”?"],
  verified_locked: ["Hoạt động đã được xác nhận, không sửa hoặc xoá được.", "Verified: it can no longer be changed."],
  sync_title: ["Hộp gửi", "Outbox"],
  waiting_list: ["Đang chờ gửi", "Waiting to send"],
  nothing_waiting: ["Không có mục nào đang chờ.", "Nothing waiting."],
  last_sync: ["Lần đồng bộ thành công gần nhất", "Last successful sync"],
  last_error: ["Lỗi gần nhất", "Last problem"],
  rejected_title: ["Bị máy chủ từ chối", "Refused by the server"],
  fix_resend: ["Sửa và gửi lại", "Fix and send again"],
  discard: ["Bỏ thay đổi này", "Discard this change"],
  moved_away: [
    "Mục này thuộc {unit}, chi đoàn bạn không còn sinh hoạt, nên máy chủ không nhận. Hãy chuyển nó sang chi đoàn hiện tại của bạn ({home}) hoặc bỏ đi.",
    "This entry belongs to {unit}, a branch you are no longer in, so the server refused it. Move it to your current branch ({home}) or discard it.",
  ],
  moved_away_edit: [
    "Hoạt động này thuộc {unit}, chi đoàn bạn không còn sinh hoạt: thay đổi của bạn không gửi được. Người của chi đoàn đó vẫn sửa được hoạt động.",
    "This activity belongs to {unit}, a branch you are no longer in: your change cannot be sent. People of that branch can still change it.",
  ],
  a_former_branch: ["chi đoàn cũ của bạn", "your former branch"],
  your_branch: ["chi đoàn của bạn", "your branch"],
  refile: ["Chuyển sang chi đoàn hiện tại", "Move to my current branch"],
  confirm_discard: ["Bỏ thay đổi bị từ chối của “{title}”?", "Discard the refused change of “{title}”?"],
  conflicts_title: ["Xung đột cần chọn", "Conflicts to decide"],
  server_value: ["Trên máy chủ", "On the server"],
  my_value: ["Của tôi", "Mine"],
  keep_server: ["Giữ bản máy chủ", "Keep the server's"],
  keep_mine: ["Dùng bản của tôi", "Use mine"],
  their_value: ["Của {name}", "{name}'s"],
  keep_theirs: ["Dùng bản của {name}", "Use {name}'s"],
  someone: ["một người khác", "someone else"],
  k_edit_deleted_other: ["{name} sửa hoạt động đã bị xoá trên máy chủ", "{name} edited it after it was deleted on the server"],
  k_delete_edited_other: ["{name} xoá, nhưng hoạt động đã được sửa trên máy chủ", "{name} deleted it, but it had been changed on the server"],
  need_network: ["Cần có mạng để làm việc này.", "This needs a network connection."],
  k_edit_deleted: ["Hoạt động đã bị xoá trên máy chủ trong khi bạn sửa", "Deleted on the server while you edited it"],
  k_delete_edited: ["Bạn xoá, nhưng người khác đã sửa hoạt động này", "You deleted it, but someone else changed it"],
  you_won: ["Giá trị của bạn đang được giữ; {name} sẽ chọn giữ hay đổi.", "Your value is kept; {name} decides whether to change it."],
  // Drafts kept on the phone until "Gửi" (decision 155).
  send: ["Gửi", "Send"],
  draft_hint: [
    "“Lưu nháp” chỉ lưu trên điện thoại này, chưa gửi đi. Bấm “Gửi” khi đã xong.",
    "“Save as draft” keeps it on this phone only, unsent. Press “Send” when it is finished.",
  ],
  drop_draft: ["Xoá bản nháp", "Delete the draft"],
  confirm_drop_draft: ["Xoá bản nháp “{title}”? Những gì đã nhập sẽ mất.", "Delete the draft “{title}”? What was typed is lost."],
  drafts_count: ["{n} bản nháp chưa gửi", "{n} drafts not sent"],
  drafts_title: ["Bản nháp trên điện thoại (chưa gửi)", "Drafts on this phone (not sent)"],
  sign_out_drafts: [
    "Còn {n} bản nháp chưa gửi: không thể đăng xuất. Hãy gửi hoặc xoá chúng trước.",
    "{n} drafts are not sent yet: you cannot sign out. Send or delete them first.",
  ],
  // Returned entries, first in sight.
  returned_count: ["{n} mục bị trả lại", "{n} returned"],
  returned_banner: ["{n} hoạt động bị trả lại, cần sửa:", "{n} activities returned to fix:"],
  // "Huỷ" on the form.
  confirm_cancel: ["Bỏ những gì vừa nhập? Thay đổi chưa lưu sẽ mất.", "Discard what you typed? Unsaved changes are lost."],
  // What can be done with a refused entry, per reason.
  keep_server_version: ["Giữ bản trên máy chủ", "Keep the server's version"],
  copy_as_new: ["Chép thay đổi thành hoạt động mới", "Copy my change as a new activity"],
  help_record_verified: [
    "Cán bộ đã xác nhận hoạt động này trong lúc bạn sửa, nên thay đổi không gửi được nữa. Hãy giữ bản trên máy chủ, hoặc chép thay đổi của bạn thành một hoạt động mới (bản nháp) để xem lại rồi gửi.",
    "Staff verified this activity while you were changing it, so your change can no longer be sent. Keep the server's version, or copy your change as a new activity (a draft) to check and send.",
  ],
  help_record_verified_delete: [
    "Cán bộ đã xác nhận hoạt động này nên không xoá được nữa. Hãy giữ bản trên máy chủ.",
    "Staff verified this activity, so it can no longer be deleted. Keep the server's version.",
  ],
  help_fix_fields: ["Hãy sửa các ô được đánh dấu rồi gửi lại.", "Fix the marked fields and send it again."],
  help_fix_date: ["Hãy sửa ngày hoạt động rồi gửi lại.", "Fix the activity's date and send it again."],
  help_fix: ["Hãy sửa rồi gửi lại, hoặc bỏ thay đổi này.", "Fix it and send it again, or discard this change."],
  help_forbidden: [
    "Tài khoản của bạn không được ghi hoạt động của chi đoàn này nữa. Hãy hỏi bí thư chi đoàn; thay đổi này chỉ có thể bỏ đi.",
    "Your account may no longer write this branch's activities. Ask your branch secretary; this change can only be discarded.",
  ],
  help_storage_refused: [
    "Máy chủ không lưu được mục này và đã giữ lại cho cán bộ kiểm tra. Hãy sửa (ví dụ tên hoạt động) rồi gửi lại, hoặc bỏ thay đổi này.",
    "The server could not store this entry and kept it for staff to look at. Change it (e.g. the title) and send it again, or discard this change.",
  ],
  // The sync centre: one line per entry, what will happen to it (decision 157).
  eff_create: ["Hoạt động mới · sẽ gửi lên máy chủ", "New activity · will be sent"],
  eff_edit: ["Đã sửa · thay đổi sẽ gửi lên máy chủ", "Changed · the change will be sent"],
  eff_delete: ["Đã xoá · sẽ xoá trên máy chủ", "Deleted · will be deleted on the server"],
  eff_nothing: ["Ghi rồi xoá trên điện thoại · máy chủ sẽ không giữ gì", "Recorded and deleted on this phone · the server will keep nothing"],
  protocol_detail: ["Chi tiết kỹ thuật (từng lệnh gửi)", "Technical detail (each mutation)"],
  op_upsert: ["Ghi/sửa", "Save"],
  op_delete: ["Xoá", "Delete"],
  settings_title: ["Cài đặt", "Settings"],
  language: ["Ngôn ngữ", "Language"],
  account: ["Tài khoản", "Account"],
  storage: ["Bộ nhớ", "Storage"],
  storage_used: ["Đã dùng {used} / {quota}", "Used {used} of {quota}"],
  storage_persisted: ["Dữ liệu được giữ lâu dài", "Data is kept persistently"],
  storage_not_persisted: ["Trình duyệt có thể xoá dữ liệu khi thiếu bộ nhớ", "The browser may clear data when short of space"],
  sign_out: ["Đăng xuất", "Sign out"],
  other_user_refused: [
    "Điện thoại còn {n} mục bị từ chối hoặc bản nháp của {name} chưa gửi: {name} cần đăng nhập để sửa, gửi hoặc bỏ chúng trước.",
    "This phone still holds {n} refused entries or drafts of {name}: {name} must sign in to fix, send or discard them first.",
  ],
  sign_out_refused: [
    "Còn {n} mục chưa gửi: không thể đăng xuất. Hãy đồng bộ trước.",
    "{n} entries are not sent yet: you cannot sign out. Sync first.",
  ],
  confirm_sign_out: [
    "Đăng xuất sẽ xoá mọi dữ liệu của Sổ Đoàn trên điện thoại này. Tiếp tục?",
    "Signing out removes all Sổ Đoàn data from this phone. Continue?",
  ],
  db_blocked: ["Hãy đóng các thẻ Sổ Đoàn khác để cập nhật dữ liệu.", "Close other Sổ Đoàn tabs to finish the update."],
};

let lang = "vi";

export function setLanguage(value) {
  lang = value === "en" ? "en" : "vi";
  document.documentElement.lang = lang;
}

export function language() {
  return lang;
}

/** The text for `key` in the current language, with {params} filled in. */
// Right-to-left letters: a value holding any is isolated.
const BIDI = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe]/;

/** ``value`` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE (plain text's
 * <bdi>) when it could reorder the sentence it is put in: a name in a message. (Direction
 * controls are removed where text is shown: ui.js.) */
export function isolate(value) {
  const text = String(value);
  return BIDI.test(text) ? `\u2068${text}\u2069` : text;
}

export function t(key, params = {}) {
  const pair = STRINGS[key] || [key, key];
  const text = pair[lang === "en" ? 1 : 0];
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in params ? isolate(params[k]) : `{${k}}`));
}

/** A server or validation message ({message, message_en}) in the current language. */
export function said(problem) {
  if (!problem) return "";
  return (lang === "en" && problem.message_en) || problem.message || problem.message_en || problem.code || "";
}
