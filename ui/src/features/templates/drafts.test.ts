import { describe, expect, it } from "vitest";
import { storeDrafts, storedDrafts, unsaved, withDraft, withoutDrafts } from "./drafts";

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

describe("drafts kept on this computer", () => {
  it("survive the window closing, per workspace, and go when saved", () => {
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), removeItem: (k: string) => void items.delete(k) };
    storeDrafts(storage, "/a.sqlite", { "welcome-en": "<mjml>edited</mjml>" });
    expect(storedDrafts(storage, "/a.sqlite")).toEqual({ "welcome-en": "<mjml>edited</mjml>" });
    expect(storedDrafts(storage, "/b.sqlite")).toEqual({});
    storeDrafts(storage, "/a.sqlite", {});
    expect(items.size).toBe(0);
    items.set("tessera.drafts./a.sqlite", "{broken");
    expect(storedDrafts(storage, "/a.sqlite")).toEqual({});
  });
});
