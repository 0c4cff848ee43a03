import { describe, expect, it } from "vitest";
import { stepped } from "./previewSession";
import { frameScale } from "./PreviewFrame";

describe("stepping through customers", () => {
  it("stays among the customers", () => {
    expect(stepped(0, -1, 120)).toBe(0);
    expect(stepped(118, 4, 120)).toBe(119);
    expect(stepped(3, 1, 120)).toBe(4);
    expect(stepped(5, 1, 0)).toBe(0);
  });
});

describe("the email frame", () => {
  it("shrinks a wide email to the pane instead of cutting it, and never enlarges it", () => {
    expect(frameScale(800, 400)).toBe(0.5);
    expect(frameScale(640, 1200)).toBe(1);
    expect(frameScale(640, null)).toBe(1);
  });
});
