import { describe, expect, it } from "vitest";
import { unsaved, withDraft, withoutDrafts } from "./drafts";

describe("template drafts", () => {
  it("keep an edit per template until it is saved", () => {
    let drafts = withDraft({}, "welcome-en", "<mjml>edited</mjml>", "<mjml></mjml>");
    drafts = withDraft(drafts, "welcome-zh", "<mjml>改过</mjml>", "<mjml></mjml>");
    expect(drafts).toEqual({ "welcome-en": "<mjml>edited</mjml>", "welcome-zh": "<mjml>改过</mjml>" });
    expect(unsaved(drafts)).toEqual(["welcome-en", "welcome-zh"]);
    expect(withoutDrafts(drafts, "welcome-en")).toEqual({ "welcome-zh": "<mjml>改过</mjml>" });
  });

  it("drop the draft when the edit is undone back to the saved source", () => {
    const drafts = withDraft({}, "welcome-en", "<mjml>edited</mjml>", "<mjml></mjml>");
    expect(withDraft(drafts, "welcome-en", "<mjml></mjml>", "<mjml></mjml>")).toEqual({});
  });

  it("keep an edit made before the saved source has loaded", () => {
    expect(withDraft({}, "welcome-en", "typed", null)).toEqual({ "welcome-en": "typed" });
  });

  it("change nothing when nothing changes", () => {
    const drafts = { a: "x" };
    expect(withDraft(drafts, "a", "x", "y")).toBe(drafts);
    expect(withoutDrafts(drafts, "b")).toBe(drafts);
  });
});
