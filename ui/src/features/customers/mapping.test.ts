import { describe, expect, it } from "vitest";
import { choiceOf, hasKey, NO_CHOICES, rememberedFields, rememberFields, settingsFrom } from "./mapping";

describe("import column mapping", () => {
  it("sends nothing the user did not choose", () => {
    expect(settingsFrom(NO_CHOICES)).toEqual({ encoding: null, delimiter: null, mapping: [], event_type: null, allow_future: false });
  });

  it("sends forced encoding, delimiter and re-mapped columns", () => {
    const settings = settingsFrom({ ...NO_CHOICES, encoding: "gb18030", delimiter: "tab", fields: { 手机: "ignore", Tier: "attribute", mail: "email" } });
    expect(settings.encoding).toBe("gb18030");
    expect(settings.delimiter).toBe("tab");
    expect(settings.mapping).toEqual([["手机", "ignore"], ["Tier", "attribute:Tier"], ["mail", "email"]]);
  });

  it("sends an events file's type for every row, trimmed, and whether future dates are kept", () => {
    expect(settingsFrom({ ...NO_CHOICES, eventType: "  purchase ", allowFuture: true })).toMatchObject({ event_type: "purchase", allow_future: true });
    expect(settingsFrom({ ...NO_CHOICES, eventType: "   " }).event_type).toBeNull();
  });

  it("shows an existing attribute as itself and any new one as the custom choice", () => {
    expect(choiceOf("attribute:会员等级", ["loyalty_tier"])).toBe("attribute");
    expect(choiceOf("attribute:loyalty_tier", ["loyalty_tier"])).toBe("attribute:loyalty_tier");
    expect(choiceOf("optout:email")).toBe("optout:email");
    expect(settingsFrom({ ...NO_CHOICES, fields: { 会员等级: "attribute:loyalty_tier" } }).mapping).toEqual([["会员等级", "attribute:loyalty_tier"]]);
  });

  it("remembers a file's mapping by its header, and ignores what no longer fits", () => {
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
    const columns = ["邮箱", "会员等级"];
    expect(rememberedFields(storage, "customers", columns)).toEqual({});
    rememberFields(storage, "customers", columns, { 会员等级: "attribute:loyalty_tier", gone: "email" });
    expect(rememberedFields(storage, "customers", columns)).toEqual({ 会员等级: "attribute:loyalty_tier" });
    expect(rememberedFields(storage, "customers", ["邮箱"])).toEqual({});
    expect(rememberedFields(storage, "events", columns)).toEqual({});
    items.set([...items.keys()][0], "not json");
    expect(rememberedFields(storage, "customers", columns)).toEqual({});
  });

  it("knows when no column identifies the customer", () => {
    expect(hasKey([{ name: "city", field: "attribute:city", suggestion: null }])).toBe(false);
    expect(hasKey([{ name: "手机", field: "phone", suggestion: null }, { name: "city", field: "attribute:city", suggestion: null }])).toBe(true);
  });
});
