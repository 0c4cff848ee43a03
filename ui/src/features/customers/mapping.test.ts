import { describe, expect, it } from "vitest";
import { choiceOf, hasKey, NO_CHOICES, settingsFrom } from "./mapping";

describe("import column mapping", () => {
  it("sends nothing the user did not choose", () => {
    expect(settingsFrom(NO_CHOICES)).toEqual({ encoding: null, delimiter: null, mapping: [] });
  });

  it("sends forced encoding, delimiter and re-mapped columns", () => {
    const settings = settingsFrom({ encoding: "gb18030", delimiter: "tab", fields: { 手机: "ignore", Tier: "attribute", mail: "email" } });
    expect(settings.encoding).toBe("gb18030");
    expect(settings.delimiter).toBe("tab");
    expect(settings.mapping).toEqual([["手机", "ignore"], ["Tier", "attribute:Tier"], ["mail", "email"]]);
  });

  it("shows every custom attribute as one choice", () => {
    expect(choiceOf("attribute:loyalty_tier")).toBe("attribute");
    expect(choiceOf("optout:email")).toBe("optout:email");
  });

  it("knows when no column identifies the customer", () => {
    expect(hasKey([{ name: "city", field: "attribute:city" }])).toBe(false);
    expect(hasKey([{ name: "手机", field: "phone" }, { name: "city", field: "attribute:city" }])).toBe(true);
  });
});
