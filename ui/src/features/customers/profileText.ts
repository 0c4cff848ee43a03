// A profile's values in the user's words and locale: identities ("Email · a@b.cn"), attribute
// names ("Loyalty tier"), event types, dates and amounts.
import type { TFunction } from "i18next";

const KEY_KINDS = ["email", "phone", "external"];

/** `email:a@b.cn` → "Email · a@b.cn". */
export function identityLabel(key: string, t: TFunction): string {
  const at = key.indexOf(":");
  const kind = key.slice(0, at);
  if (at < 0 || !KEY_KINDS.includes(kind)) return key;
  return `${t(`customers.keyKind.${kind}`)} · ${key.slice(at + 1)}`;
}

/** A known attribute's name in the user's language; any other as written, `_` as spaces. */
export function attributeLabel(name: string, t: TFunction): string {
  const readable = name.replaceAll("_", " ");
  return t(`customers.attributeNames.${name}`, { defaultValue: readable.charAt(0).toUpperCase() + readable.slice(1) });
}

export function eventLabel(type: string, t: TFunction): string {
  return t(`customers.eventTypes.${type}`, { defaultValue: type });
}

/** `2024-03-01T10:00:00Z` or `2024-03-01` → the day in the user's locale. */
export function formatDate(text: string, language: string): string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : new Date(text);
  if (Number.isNaN(day.getTime())) return text;
  return day.toLocaleDateString(language, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}

/** An amount with its currency when known (ISO code), else as a plain number. */
export function formatMoney(amount: number, currency: string | null, language: string): string {
  if (currency && /^[A-Z]{3}$/.test(currency)) {
    try {
      return amount.toLocaleString(language, { style: "currency", currency });
    } catch {
      // An unknown code: shown as a number with the code.
    }
    return `${amount.toLocaleString(language, { maximumFractionDigits: 2 })} ${currency}`;
  }
  return amount.toLocaleString(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** An attribute or property value: dates and numbers in the locale, lists joined. */
export function formatValue(value: unknown, language: string): string {
  if (typeof value === "number") return value.toLocaleString(language, { maximumFractionDigits: 2 });
  if (typeof value === "boolean") return value ? "✓" : "✗";
  if (typeof value === "string") return /^\d{4}-\d{2}-\d{2}$/.test(value) ? formatDate(value, language) : value;
  if (Array.isArray(value)) return value.map((v) => formatValue(v, language)).join(", ");
  if (value === null || value === undefined) return "";
  return JSON.stringify(value);
}

/** Properties of an event that only tools need (the run that recorded it). */
const TECHNICAL = ["run"];
// "" stands for any property the app has no words for.
const READING_ORDER = ["campaign", "arm", "form", "page", "scene", "call_to_action", "target", "", "fields"];

/**
 * An event's other properties as a line: the ones Tessera records ("variant", "form", the
 * answers given) in the user's words, any other under its attribute label; nested values (a
 * form's answers) as "name: value" pairs.
 */
export function eventDetails(properties: Record<string, unknown>, t: TFunction, language: string): string {
  const colon = t("errors.colon");
  const value = (v: unknown): string =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.entries(v).map(([k, x]) => `${attributeLabel(k, t)}${colon}${value(x)}`).join(", ")
      : formatValue(v, language);
  // What and where first (campaign, variant, form or page), what the customer said last.
  const rank = (k: string) => {
    const at = READING_ORDER.indexOf(k);
    return at < 0 ? READING_ORDER.indexOf("") : at;
  };
  return Object.entries(properties)
    .filter(([k]) => !TECHNICAL.includes(k))
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([k, v]) => `${t(`customers.eventProperties.${k}`, { defaultValue: attributeLabel(k, t) })}${colon}${value(v)}`)
    .join(" · ");
}
