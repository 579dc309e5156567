// Text and dates as people in the field read and type them.

// Direction controls and zero-width characters: never shown (the server removes the same
// from what it stores, schemas/text.py; text stored before, or received from an older
// server, may still hold them). Tab and line breaks are kept.
const HIDDEN = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff]/gu;

/** ``text`` as it may be shown: without the characters that would reorder or hide it. */
export function visible(text) {
  return String(text).replace(HIDDEN, "");
}

/** Lower case without diacritics, so "ve sinh" finds "Vệ sinh" and "đường" finds "duong". */
export function fold(text) {
  return String(text || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .toLowerCase();
}

/** 2026-11-21 → 21/11/2026 */
export function showDate(iso) {
  if (!iso) return "";
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

/** 21/11/2026 (or 21-11-2026, 21.11.2026, 1/2/2026) → 2026-11-21; null when not a real date. */
export function parseDate(text) {
  const match = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(text || "");
  if (!match) return null;
  const [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/** Today on the phone, as an ISO date in its own time zone. */
export function today() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

// Numbers and times as Vietnamese writes them (Intl, locale vi-VN): a decimal comma
// ("0,5 km"), thousands grouped with a point when shown ("1.500.000"), times without
// seconds. In a box to edit, no grouping: what is shown is what may be typed back.
const SHOWN = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 3 });
const TYPED = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 3, useGrouping: false });

function asNumber(value) {
  if (typeof value === "number") return value;
  if (typeof value !== "string" || !/^\s*-?\d+(\.\d+)?\s*$/.test(value)) return null;
  return Number(value);
}

/** 0.5 or "0.5" (the protocol's decimals) → "0,5"; 1500000 → "1.500.000"; else as it is. */
export function showNumber(value) {
  const n = asNumber(value);
  return n === null ? String(value ?? "") : SHOWN.format(n);
}

/** A number as it is put in a box to edit: "0,5", "48", never "0.0". */
export function typedNumber(value) {
  const n = asNumber(value);
  return n === null ? String(value ?? "") : TYPED.format(n);
}

/** An instant as "15:30 04/12/2026": hours and minutes, then the day. */
export function showTime(value) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return "—";
  const time = d.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
  const day = d.toLocaleDateString("vi-VN", { day: "2-digit", month: "2-digit", year: "numeric" });
  return `${time} ${day}`;
}
