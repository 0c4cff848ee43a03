// Both interface languages are complete: every key exists in each, and every Chinese string is
// actually Chinese (not an English string copied over and forgotten).
import { describe, expect, it } from "vitest";
import { en } from "./en";
import { zh } from "./zh";

type Tree = { [key: string]: string | Tree };

/** `{ a: { b: "x" } }` as `{ "a.b": "x" }`. */
function flatten(tree: Tree, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out[path] = value;
    else Object.assign(out, flatten(value, path));
  }
  return out;
}

// i18next picks `key_one`, `key_other`… by the language's plural rules. Chinese has one form, so
// English `x_one` + `x_other` are satisfied by Chinese `x_other` (or a plain `x`).
const PLURAL = /_(zero|one|two|few|many|other)$/;

function presentIn(key: string, other: Record<string, string>): boolean {
  if (key in other) return true;
  const base = key.replace(PLURAL, "");
  if (base === key) return Object.keys(other).some((k) => k.replace(PLURAL, "") === key);
  return base in other || Object.keys(other).some((k) => k.replace(PLURAL, "") === base);
}

/**
 * Chinese strings that may stay exactly as in English, each for a reason:
 * - "Tessera": the product's name, never translated.
 * - "RFM", "CSV", "HTML", "MJML": names of a model and of file formats, written in Latin letters in
 *   Chinese too, should one stand alone as a label (inside a sentence they sit beside Chinese words
 *   and need no entry).
 * Strings with no letters left once `{{placeholders}}` are removed ("{{field}} {{sign}} {{value}}",
 * "{{count}}") are language-neutral and are allowed without an entry.
 */
const SAME_IN_BOTH = new Set(["Tessera", "RFM", "CSV", "HTML", "MJML"]);

/** The text a reader sees, without i18next placeholders. */
function words(value: string): string {
  return value.replace(/\{\{[^}]*\}\}/g, "");
}
const neutral = (value: string) => !/\p{L}/u.test(words(value));
const hasCjk = (value: string) => /\p{Script=Han}/u.test(value);

/** Keys of `from` that `to` lacks (plural forms counted as one key). */
function missing(from: Record<string, string>, to: Record<string, string>): string[] {
  return Object.keys(from).filter((k) => !presentIn(k, to));
}

/** Chinese strings identical to their English ones. */
function untranslated(english: Record<string, string>, chinese: Record<string, string>): string[] {
  return Object.entries(chinese)
    .filter(([k, v]) => {
      const base = k.replace(PLURAL, "");
      const source = english[k] ?? english[`${base}_other`] ?? english[base];
      return v === source && !neutral(v) && !SAME_IN_BOTH.has(v);
    })
    .map(([k, v]) => `${k}: ${v}`);
}

/** Chinese strings without a single Chinese character. */
function notChinese(chinese: Record<string, string>): string[] {
  return Object.entries(chinese)
    .filter(([, v]) => !hasCjk(v) && !neutral(v) && !SAME_IN_BOTH.has(v))
    .map(([k, v]) => `${k}: ${v}`);
}

/** Keys whose `{{placeholders}}` differ between the languages (a value the reader would miss). */
function placeholderMismatch(english: Record<string, string>, chinese: Record<string, string>): string[] {
  const names = (v: string) => [...v.matchAll(/\{\{\s*([^}\s,]+)[^}]*\}\}/g)].map((m) => m[1]).sort().join();
  return Object.entries(chinese)
    .filter(([k, v]) => k in english && names(v) !== names(english[k]))
    .map(([k, v]) => `${k}: ${english[k]} / ${v}`);
}

const EN = flatten(en as unknown as Tree);
const ZH = flatten(zh as unknown as Tree);

describe("locales", () => {
  it("have the same keys in English and Chinese", () => {
    expect({ missingInZh: missing(EN, ZH), missingInEn: missing(ZH, EN) }).toEqual({ missingInZh: [], missingInEn: [] });
  });

  it("translate every Chinese string", () => {
    expect(untranslated(EN, ZH)).toEqual([]);
  });

  it("write every Chinese string in Chinese", () => {
    expect(notChinese(ZH)).toEqual([]);
  });

  it("keep placeholders the same in both languages", () => {
    expect(placeholderMismatch(EN, ZH)).toEqual([]);
  });
});

describe("the checks themselves", () => {
  const english = flatten({ a: { b: "Save", n_one: "{{count}} day", n_other: "{{count}} days", sign: "{{x}} ≥ {{y}}" }, name: "Tessera", only: "x" });

  it("find keys missing on either side, plural forms counted as one", () => {
    const chinese = flatten({ a: { b: "保存", n_other: "{{count}} 天", sign: "{{x}} ≥ {{y}}", extra: "多" }, name: "Tessera" });
    expect(missing(english, chinese)).toEqual(["only"]);
    expect(missing(chinese, english)).toEqual(["a.extra"]);
    expect(missing(flatten({ a: { n: "{{count}} 天" } }), flatten({ a: { n_one: "", n_other: "" } }))).toEqual([]);
    expect(missing(flatten({ a: { n_one: "", n_other: "" } }), flatten({ a: { n: "" } }))).toEqual([]);
  });

  it("find English left in Chinese, except names and bare placeholders", () => {
    const chinese = flatten({ a: { b: "Save", n_other: "{{count}} days", sign: "{{x}} ≥ {{y}}" }, name: "Tessera", only: "CSV 文件" });
    expect(untranslated(english, chinese)).toEqual(["a.b: Save", "a.n_other: {{count}} days"]);
    expect(notChinese(chinese)).toEqual(["a.b: Save", "a.n_other: {{count}} days"]);
  });

  it("find a placeholder dropped in translation", () => {
    expect(placeholderMismatch(english, flatten({ a: { n_other: "天" } }))).toEqual(["a.n_other: {{count}} days / 天"]);
  });
});
