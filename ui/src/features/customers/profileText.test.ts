import { describe, expect, it } from "vitest";
import i18n from "../../i18n";
import { attributeLabel, eventDetails, formatDate, formatMoney, formatValue, identityLabel } from "./profileText";

describe("a profile in the user's words", () => {
  it("labels identities, attributes and events in both languages", async () => {
    await i18n.changeLanguage("en");
    expect(identityLabel("email:customer3@example.cn", i18n.t)).toBe("Email · customer3@example.cn");
    expect(identityLabel("external:1001", i18n.t)).toBe("Customer id · 1001");
    expect(attributeLabel("loyalty_tier", i18n.t)).toBe("Loyalty tier");
    expect(attributeLabel("shoe_size", i18n.t)).toBe("Shoe size");
    await i18n.changeLanguage("zh");
    expect(identityLabel("phone:+8613800138000", i18n.t)).toBe("手机 · +8613800138000");
    expect(attributeLabel("loyalty_tier", i18n.t)).toBe("会员等级");
    expect(attributeLabel("会员备注", i18n.t)).toBe("会员备注");
    await i18n.changeLanguage("en");
  });

  it("writes dates, money and numbers as the locale does", () => {
    expect(formatDate("2024-03-01", "en")).toBe("Mar 1, 2024");
    expect(formatDate("2024-03-01T23:30:00Z", "zh")).toBe("2024年3月1日");
    expect(formatDate("not a date", "en")).toBe("not a date");
    expect(formatMoney(1234.5, "CNY", "zh")).toBe("¥1,234.50");
    expect(formatMoney(1234.5, null, "en")).toBe("1,234.50");
    expect(formatValue(2000, "en")).toBe("2,000");
    expect(formatValue(["a", 1], "en")).toBe("a, 1");
  });

  it("says what a served page recorded in words, not as data", async () => {
    const answered = { arm: "A", campaign: "Spring sale", run: 3, form: "preferences", fields: { frequency: "monthly", topics: ["tea", "coffee"], consent_email: true } };
    await i18n.changeLanguage("en");
    expect(eventDetails(answered, i18n.t, "en")).toBe("Campaign: Spring sale · Variant: A · Form: preferences · Answers: Frequency: monthly, Topics: tea, coffee, Consent email: ✓");
    await i18n.changeLanguage("zh");
    expect(eventDetails({ arm: "B", page: "index.html", loyalty_tier: "gold" }, i18n.t, "zh")).toBe("版本：B · 页面：index.html · 会员等级：gold");
    // Properties the app does not know come before the answers, in the order they were recorded.
    expect(eventDetails({ fields: { size: "M" }, colour: "red", arm: "A" }, i18n.t, "zh")).toBe("版本：A · Colour：red · 回答：Size：M");
    await i18n.changeLanguage("en");
  });
});
