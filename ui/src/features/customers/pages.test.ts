import { describe, expect, it } from "vitest";
import { pagesFor, rowAt } from "./pages";

describe("customer table paging", () => {
  it("fetches only the pages the visible rows fall in", () => {
    expect(pagesFor(0, 35, 200)).toEqual([0]);
    expect(pagesFor(190, 230, 200)).toEqual([0, 1]);
    expect(pagesFor(999_990, 1_000_020, 200)).toEqual([4999, 5000]);
    expect(pagesFor(5, 4)).toEqual([]);
  });

  it("finds a row inside its page, and nothing for pages not loaded", () => {
    const pages = new Map([[1, ["a", "b", "c"]]]);
    expect(rowAt(pages, 201, 200)).toBe("b");
    expect(rowAt(pages, 5, 200)).toBeUndefined();
  });
});
