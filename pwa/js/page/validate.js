// The server's activity rules, checked on the phone before an entry is queued, so most
// mistakes are fixed while the person is still at the activity rather than weeks later.
// The limits and the messages come from /app/rules.json, made from the server's own schema
// (schemas/rules.py, loaded by ../shared/rules.js); the codes are the protocol's (§6). No
// DOM: testable anywhere.

export { rules } from "../shared/rules.js";

/** One problem in the protocol's shape, with both texts filled in. */
export function problem(all, code, params = {}) {
  const [vi, en] = all.messages[code] || [code, code];
  const fill = (text) => text.replace(/\{(\w+)\}/g, (_, k) => (k in params ? String(params[k]) : `{${k}}`));
  return { code, message: fill(vi), message_en: fill(en), params };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isDate(value) {
  if (typeof value !== "string" || !ISO_DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function checkField(all, rule, value) {
  if (value === undefined) return rule.required ? [problem(all, "required")] : [];
  if (value === null) return [problem(all, "null")];
  switch (rule.kind) {
    case "text":
    case "choice": {
      if (typeof value !== "string") return [problem(all, "not_a_string")];
      const text = value.normalize("NFC").trim();
      if ([...text].length > rule.max_length && rule.kind === "text") return [problem(all, "too_long", { max: rule.max_length })];
      if (!text && !rule.allow_blank && rule.kind === "text") return [problem(all, "blank")];
      if (rule.kind === "choice" && !rule.choices.includes(text)) {
        return [problem(all, "not_one_of", { choices: rule.choices.join(", ") })];
      }
      return [];
    }
    case "integer": {
      if (typeof value !== "number" || !Number.isInteger(value)) return [problem(all, "not_an_integer")];
      return range(all, rule, value);
    }
    case "decimal": {
      if (typeof value === "boolean" || (typeof value !== "number" && typeof value !== "string")) {
        return [problem(all, "not_a_number")];
      }
      const number = typeof value === "number" ? value : Number(String(value).trim() || "x");
      if (!Number.isFinite(number)) return [problem(all, "not_a_number")];
      return range(all, rule, number);
    }
    case "date":
      return isDate(value) ? [] : [problem(all, "not_a_date")];
    case "quantities":
      return value && typeof value === "object" && !Array.isArray(value) ? [] : [problem(all, "not_a_mapping")];
    default:
      return [];
  }
}

function range(all, rule, number) {
  if (rule.min != null && number < rule.min) return [problem(all, "too_small", { min: rule.min })];
  if (rule.max != null && number > rule.max) return [problem(all, "too_large", { max: rule.max })];
  return [];
}

function checkQuantities(all, values, spec) {
  const errors = {};
  const byCode = Object.fromEntries((spec.quantities || []).map((q) => [q.code, q]));
  for (const [code, raw] of Object.entries(values)) {
    const q = byCode[code];
    if (!q) {
      errors[code] = [problem(all, "unknown_quantity", { quantity: code })];
      continue;
    }
    if (raw === null || raw === undefined) continue;
    if (typeof raw === "boolean" || (typeof raw !== "number" && typeof raw !== "string")) {
      errors[code] = [problem(all, "not_a_number")];
      continue;
    }
    const number = typeof raw === "number" ? raw : Number(String(raw).trim() || "x");
    const max = all.quantity_max[q.kind];
    if (!Number.isFinite(number)) errors[code] = [problem(all, "not_a_number")];
    else if (q.kind !== "decimal" && !Number.isInteger(number)) errors[code] = [problem(all, "not_an_integer")];
    else if (number < 0) errors[code] = [problem(all, "too_small", { min: 0 })];
    else if (number > max) errors[code] = [problem(all, "too_large", { max })];
  }
  return errors;
}

/**
 * Problems of a whole activity record, by field (quantities by code), as the server would
 * report them; {} when it may be queued. `types` is the reference data's activity_types.
 */
export function validate(all, record, types, todayIso) {
  const errors = {};
  for (const [name, rule] of Object.entries(all.fields)) {
    const found = checkField(all, rule, record[name]);
    if (found.length) errors[name] = found;
  }
  for (const name of Object.keys(record)) {
    if (!all.record_fields.includes(name)) errors[name] = [problem(all, "unknown_field")];
  }
  for (const key of ["starts_on", "ends_on"]) {
    if (!errors[key] && (record[key] < all.dates.min || record[key] > all.dates.max)) {
      errors[key] = [problem(all, "date_out_of_range", all.dates)];
    }
  }
  if (!errors.starts_on && !errors.ends_on && record.ends_on < record.starts_on) {
    errors.ends_on = [problem(all, "ends_before_start")];
  }
  const spec = types.find((t) => t.code === record.type);
  if (!errors.type) {
    if (!spec) errors.type = [problem(all, "unknown_type")];
    else if (!spec.active) errors.type = [problem(all, "type_inactive")];
  }
  if (spec && !errors.quantities && record.quantities) {
    const q = checkQuantities(all, record.quantities, spec);
    if (Object.keys(q).length) errors.quantities = q;
  }
  // Not a field rule on the server but a refusal of the whole entry (§3): say it here.
  if (!errors.starts_on && todayIso) {
    const limit = new Date(`${todayIso}T00:00:00Z`);
    limit.setUTCDate(limit.getUTCDate() + all.days_ahead);
    if (record.starts_on > limit.toISOString().slice(0, 10)) {
      errors.starts_on = [problem(all, "date_in_future", { days: all.days_ahead })];
    }
  }
  return errors;
}
