import { describe, expect, it } from "vitest";
import { textChange } from "./textChange";

const apply = (before: string, c: { from: number; to: number; insert: string }) => before.slice(0, c.from) + c.insert + before.slice(c.to);

describe("textChange", () => {
  it("replaces only what differs", () => {
    const before = '{\n  "x": 640,\n  "y": 80\n}';
    const after = '{\n  "x": 641,\n  "y": 80\n}';
    const at = before.indexOf("640") + 2;
    expect(textChange(before, after)).toEqual({ from: at, to: at + 1, insert: "1" });
  });

  it("handles insertions, deletions, the same text and repeated characters", () => {
    for (const [before, after] of [
      ["abc", "abXc"],
      ["abXc", "abc"],
      ["same", "same"],
      ["", "new"],
      ["old", ""],
      ["aaaa", "aaaaaa"],
      ["640", "6400"],
    ]) {
      expect(apply(before, textChange(before, after))).toBe(after);
    }
    expect(textChange("same", "same")).toEqual({ from: 4, to: 4, insert: "" });
    expect(textChange("abc", "abXc")).toEqual({ from: 2, to: 2, insert: "X" });
    expect(textChange("aaaa", "aaaaaa")).toEqual({ from: 4, to: 4, insert: "aa" });
  });

  it("never cuts an emoji (a surrogate pair) in half", () => {
    // 😀 and 😃 share their high surrogate; 😀 and 🙀 their low one.
    for (const [before, after] of [
      ["a😀b", "a😃b"],
      ["a😀b", "a🙀b"],
      ["😀", "😀😀"],
    ]) {
      const change = textChange(before, after);
      expect(apply(before, change)).toBe(after);
      for (const at of [change.from, change.to]) expect(before.charCodeAt(at) >= 0xdc00 && before.charCodeAt(at) <= 0xdfff).toBe(false);
      expect(/[\ud800-\udbff]$|^[\udc00-\udfff]/.test(change.insert)).toBe(false);
    }
  });
});
