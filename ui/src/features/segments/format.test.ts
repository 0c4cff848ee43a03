import { describe, expect, it } from "vitest";
import { count, pageRange, share } from "./format";

describe("segment numbers", () => {
  it("are grouped as the language groups them", () => {
    expect(count(1234567, "en")).toBe("1,234,567");
    expect(count(1234567, "zh")).toBe("1,234,567");
    expect(count(1234567, "de")).toBe("1.234.567");
  });

  it("show small shares without rounding them away", () => {
    expect(share(125, 1000, "en")).toBe("12.5%");
    expect(share(42, 10_000, "en")).toBe("0.42%");
    expect(share(3, 1_000_000, "en")).toBe("<0.01%");
    expect(share(999_999, 1_000_000, "en")).toBe(">99.9%");
    expect(share(0, 1000, "en")).toBe("0%");
    expect(share(1000, 1000, "en")).toBe("100%");
    expect(share(5, 0, "en")).toBe("0%");
    expect(share(125, 1000, "de")).toBe("12,5\u00a0%");
    expect(share(125, 1000, "zh")).toBe("12.5%");
  });
});

describe("a page of members", () => {
  it("is numbered from 1", () => {
    expect(pageRange(0, 20, 1234)).toEqual({ from: 1, to: 20 });
    expect(pageRange(1220, 14, 1234)).toEqual({ from: 1221, to: 1234 });
    expect(pageRange(0, 0, 0)).toBeNull();
    expect(pageRange(40, 0, 30)).toBeNull();
  });
});
