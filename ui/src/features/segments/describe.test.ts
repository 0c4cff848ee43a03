import { describe as suite, expect, it } from "vitest";
import i18n from "../../i18n";
import type { Condition } from "../../lib/bindings";
import { describe } from "./describe";

const conditions: Condition[] = [
  { type: "consent", channel: "email", status: "granted" },
  { type: "rfm_group", groups: ["Champions", "At risk"] },
  { type: "event", event_type: "purchase", measure: "count", property: { name: "category", equals: "skincare" }, window: { last_days: 90 }, compare: "gte", value: 2 } as Condition,
  { type: "segment", name: "VIP" },
];

suite("funnel labels", () => {
  it("read like the engine's in English", async () => {
    await i18n.changeLanguage("en");
    expect(conditions.map((c) => describe(c, i18n.t))).toEqual([
      "email consent granted",
      "RFM group is Champions or At risk",
      "number of purchase events with category = skincare in the last 90 days ≥ 2",
      "in segment “VIP”",
    ]);
  });

  it("are in Chinese when the interface is", async () => {
    await i18n.changeLanguage("zh");
    const labels = conditions.map((c) => describe(c, i18n.t));
    expect(labels[0]).toBe("邮件授权已同意");
    expect(labels[1]).toBe("RFM 分群为 冠军客户 或 有流失风险");
    expect(labels[2]).toBe("purchase 事件次数（category = skincare）（过去 90 天） ≥ 2");
    await i18n.changeLanguage("en");
  });
});

suite("campaign conditions", () => {
  it("say who received what and who converted, in both languages", async () => {
    const received = { type: "campaign", campaign: "spring", arm: "B", converted: true } as Condition;
    const heldOut = { type: "campaign", campaign: "spring", arm: "holdout", converted: null } as Condition;
    const anyVariant = { type: "campaign", campaign: "spring", arm: null, converted: false } as Condition;
    await i18n.changeLanguage("en");
    expect([received, heldOut, anyVariant].map((c) => describe(c, i18n.t))).toEqual([
      "received B of “spring” and converted",
      "held out of “spring”",
      "received “spring” and did not convert",
    ]);
    await i18n.changeLanguage("zh");
    expect(describe(received, i18n.t)).toBe("收到了“spring”的 B且已转化");
    await i18n.changeLanguage("en");
  });
});

suite("long lists", () => {
  it("show the first few and how many more", async () => {
    const values = Array.from({ length: 40_000 }, (_, i) => `city${i}`);
    await i18n.changeLanguage("en");
    const label = describe({ type: "field", field: "city", op: "in", values } as Condition, i18n.t);
    expect(label).toBe("city is one of city0, city1, city2, city3, city4 and 39995 more");
    await i18n.changeLanguage("zh");
    expect(describe({ type: "field", field: "city", op: "in", values } as Condition, i18n.t)).toContain("等另外 39995 项");
    await i18n.changeLanguage("en");
  });
});
