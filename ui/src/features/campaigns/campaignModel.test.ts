import { describe, expect, it } from "vitest";
import { addVariant, audienceChoice, newCampaign, parseValues, valuesText, variantTemplates, withTemplates } from "./campaignModel";

const templates = ["recommendations-en", "recommendations-zh", "welcome-en", "welcome-zh", "solo"].map((name) => ({ name, kind: "email" as const, updated_at: "" }));

describe("campaign model", () => {
  it("starts with one variant in both languages", () => {
    const c = newCampaign("spring", templates);
    expect(c.variants[0].email).toEqual({ en: "recommendations-en", zh: "recommendations-zh" });
    expect(audienceChoice(c.audience)).toBe("all");
  });

  it("keeps one template for everyone when only one language is chosen", () => {
    const v = withTemplates({ name: "A", weight: 1, email: null, values: {} }, { en: "solo" });
    expect(v.email).toBe("solo");
    expect(variantTemplates(v)).toEqual({ en: "solo" });
    expect(withTemplates(v, { en: "welcome-en", zh: "welcome-zh" }).email).toEqual({ en: "welcome-en", zh: "welcome-zh" });
  });

  it("names new variants B, C, …", () => {
    const c = addVariant(addVariant(newCampaign("x", templates)));
    expect(c.variants.map((v) => v.name)).toEqual(["A", "B", "C"]);
  });

  it("reads merge values one per line", () => {
    expect(parseValues("offer = 10% off\nsubject_line= Hello=there\nnonsense")).toEqual({ offer: "10% off", subject_line: "Hello=there" });
    expect(valuesText({ offer: "10% off" })).toBe("offer = 10% off");
  });
});
