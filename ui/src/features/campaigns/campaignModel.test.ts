import { describe, expect, it } from "vitest";
import type { Split } from "../../lib/bindings";
import { addVariant, audienceChoice, audienceFromValue, audienceValue, freshFolder, hasSites, hasVideo, newCampaign, parseValues, placeholderKind, recipients, settingWarnings, valuesText, variantTemplates, videoFormats, withTemplates, withVideoFormat } from "./campaignModel";

const templates = ["recommendations-en", "recommendations-zh", "welcome-en", "welcome-zh", "solo"].map((name) => ({ name, kind: "email" as const, updated_at: "" }));

describe("campaign model", () => {
  it("starts with one variant in both languages", () => {
    const c = newCampaign("spring", templates, "seed-1");
    // Keyed by the engine's new seed, not by the name every new campaign starts with.
    expect(c.seed).toBe("seed-1");
    expect(c.variants[0].email).toEqual({ en: "recommendations-en", zh: "recommendations-zh" });
    expect(audienceChoice(c.audience)).toBe("all");
  });

  it("keeps one template for everyone when only one language is chosen", () => {
    const v = withTemplates({ name: "A", weight: 1, email: null, values: {} }, { en: "solo" });
    expect(v.email).toBe("solo");
    expect(variantTemplates(v)).toEqual({ en: "solo" });
    expect(withTemplates(v, { en: "welcome-en", zh: "welcome-zh" }).email).toEqual({ en: "welcome-en", zh: "welcome-zh" });
  });

  it("gives a variant a personal site per language beside its email, and removes it", () => {
    const c = newCampaign("club", templates, "seed-1");
    expect(hasSites(c)).toBe(false);
    const v = withTemplates(c.variants[0], { en: "loyalty-en", zh: "loyalty-zh" }, "microsite");
    expect(v.microsite).toEqual({ en: "loyalty-en", zh: "loyalty-zh" });
    expect(v.email).toEqual(c.variants[0].email);
    expect(variantTemplates(v, "microsite")).toEqual({ en: "loyalty-en", zh: "loyalty-zh" });
    expect(hasSites({ ...c, variants: [v] })).toBe(true);
    const none = withTemplates(v, {}, "microsite");
    expect(none.microsite).toBeNull();
    expect(hasSites({ ...c, variants: [none] })).toBe(false);
  });

  it("gives a variant a video whose interactive player is a personal page, unless only files are made", () => {
    const c = newCampaign("club", templates, "seed-1");
    const withVideo = { ...c, variants: [withTemplates(c.variants[0], { en: "picks-en", zh: "picks-zh" }, "video")] };
    expect([hasVideo(c), hasVideo(withVideo)]).toEqual([false, true]);
    expect(videoFormats(withVideo)).toEqual(["poster", "gif", "mp4", "player"]);
    expect(hasSites(withVideo)).toBe(true);
    const filesOnly = withVideoFormat(withVideo, "player", false);
    expect(filesOnly.video_settings?.formats).toBe("poster,gif,mp4");
    expect(hasSites(filesOnly)).toBe(false);
    expect(videoFormats(withVideoFormat(filesOnly, "player", true))).toEqual(["poster", "gif", "mp4", "player"]);
    // The royalty-free WebM is made only when asked for, in the engine's order.
    expect(withVideoFormat(withVideo, "webm", true).video_settings?.formats).toBe("poster,gif,mp4,webm,player");
  });

  it("keeps at least one video format on", () => {
    const c = newCampaign("club", templates, "seed-1");
    let only: typeof c = { ...c, video_settings: { formats: "gif" } };
    expect(videoFormats(only)).toEqual(["gif"]);
    only = withVideoFormat(only, "gif", false);
    expect(videoFormats(only)).toEqual(["gif"]);
    expect(videoFormats({ ...c, video_settings: { formats: "mov, nonsense" } })).toEqual(["poster", "gif", "mp4", "player"]);
    expect(videoFormats({ ...c, video_settings: { formats: " webm " } })).toEqual(["webm"]);
  });

  it("names new variants B, C, …", () => {
    const c = addVariant(addVariant(newCampaign("x", templates, "seed-1")));
    expect(c.variants.map((v) => v.name)).toEqual(["A", "B", "C"]);
  });

  it("reads merge values one per line", () => {
    expect(parseValues("offer = 10% off\nsubject_line= Hello=there\nnonsense")).toEqual({ offer: "10% off", subject_line: "Hello=there" });
    expect(valuesText({ offer: "10% off" })).toBe("offer = 10% off");
  });
});

describe("who gets the campaign", () => {
  it("counts every variant's customers, not the holdout", () => {
    const arm = (name: string, customers: number) => ({ name, share: null, customers });
    const split: Split = {
      audience: 1500, unknown_ids: 0, eligible: 1400, excluded: { no_address: 60, opted_out: 40, holdout: 140 },
      arms: [arm("A", 630), arm("B", 630)], holdout: arm("holdout", 140),
      sample_ratio: { chi_square: null, degrees_of_freedom: 0, p_value: null, mismatch: false },
    };
    expect(recipients(split)).toBe(1260);
  });

  it("picks everyone, the segment being built or a saved segment by name", () => {
    const rule = { version: 1, conditions: [] };
    expect(audienceValue({ all: true })).toBe("all");
    expect(audienceValue({ segment: "VIP: Shanghai" })).toBe("segment:VIP: Shanghai");
    expect(audienceFromValue("segment:VIP: Shanghai", rule)).toEqual({ segment: "VIP: Shanghai" });
    expect(audienceFromValue("rule", rule)).toEqual({ rule });
    expect(audienceFromValue("all", rule)).toEqual({ all: true });
  });
});

describe("placeholder senders and links", () => {
  it("flags empty values, reserved domains and stand-in words", () => {
    for (const value of [
      "Tessera <hello@example.com>", "hello@news.example.org", "a@example.net", "shop@store.example", "x@mail.test",
      "a@b.invalid", "root@localhost", "mailto:unsubscribe@example.com?subject=unsubscribe-{token}",
      "https://example.com/unsubscribe?id={id}", "https://shop.test/u/{id}", "http://localhost:8080/u/{id}",
      "Shop <news@yourdomain.com>", "https://your-domain.cn/u", "PLACEHOLDER",
    ]) expect(placeholderKind(value), value).toBe("placeholder");
    expect(placeholderKind("")).toBe("empty");
    expect(placeholderKind("   ")).toBe("empty");
    expect(placeholderKind(undefined)).toBe("empty");
  });

  it("accepts real addresses and links, including ones that only look similar", () => {
    for (const value of [
      "Mei Shop <hello@meishop.cn>", "news@example-shop.com", "https://shop.com/unsubscribe?id={id}&e={email}",
      "mailto:unsubscribe@shop.com.cn?subject=unsubscribe-{id}", "hello@contest.com", "https://mytestshop.com/u",
    ]) expect(placeholderKind(value), value).toBeNull();
  });

  it("names each field to fix", () => {
    expect(settingWarnings({ from: "Shop <hello@shop.cn>", unsubscribe: "" })).toEqual([{ field: "unsubscribe", kind: "empty", value: "" }]);
    // A new campaign's mail unsubscribe link goes to its sender: only the sender is a stand-in.
    expect(settingWarnings(newCampaign("x", templates, "seed-1").email_settings).map((w) => w.field)).toEqual(["from"]);
    expect(settingWarnings(undefined).map((w) => w.kind)).toEqual(["empty", "empty"]);
  });
});

describe("a fresh render folder", () => {
  const day = new Date(2025, 2, 1);
  it("goes beside the last render, named after the campaign and the day", () => {
    expect(freshFolder("/home/ann/renders/spring", "Spring sale", day)).toBe("/home/ann/renders/spring-sale-2025-03-01");
    expect(freshFolder("/home/ann/renders/spring/", "春季促销", day)).toBe("/home/ann/renders/春季促销-2025-03-01");
    expect(freshFolder("C:\\Users\\ann\\renders\\old", "A/B test?", day)).toBe("C:\\Users\\ann\\renders\\ab-test-2025-03-01");
  });

  it("does not reuse a folder an earlier run wrote", () => {
    const taken = ["/r/spring-sale-2025-03-01", "/r/spring-sale-2025-03-01-2/"];
    expect(freshFolder("/r/spring-sale-2025-03-01", "Spring sale", day, taken)).toBe("/r/spring-sale-2025-03-01-3");
  });

  it("proposes nothing without an earlier render", () => {
    expect(freshFolder(undefined, "Spring sale", day)).toBeNull();
    expect(freshFolder("relative", "Spring sale", day)).toBeNull();
  });
});
