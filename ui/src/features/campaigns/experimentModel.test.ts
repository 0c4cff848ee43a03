import { describe, expect, it } from "vitest";
import type { Campaign, Report, Split } from "../../lib/bindings";
import { armsCompared, daysLeft, defaultHypothesis, reportHtml, signedPoints, smallestArm, waitingReasons } from "./experimentModel";

const campaign = (holdout: number): Campaign => ({
  version: 1, name: "spring", seed: "s", audience: { all: true }, holdout,
  variants: [{ name: "A", weight: 1, email: "welcome-en", values: {} }, { name: "B", weight: 1, email: "welcome-en", values: {} }],
} as unknown as Campaign);

describe("the experiment model", () => {
  it("compares against the holdout when there is one, else the first variant", () => {
    expect(defaultHypothesis(campaign(0.1)).control).toBe("holdout");
    expect(defaultHypothesis(campaign(0)).control).toBe("A");
    expect(armsCompared(campaign(0.1))).toBe(3);
    expect(armsCompared(campaign(0))).toBe(2);
  });

  it("reads the power off the smallest arm, the holdout included", () => {
    const split = { arms: [{ name: "A", customers: 900 }, { name: "B", customers: 880 }], holdout: { name: "holdout", customers: 95 } } as unknown as Split;
    expect(smallestArm(split, campaign(0.05))).toBe(95);
    expect(smallestArm(split, campaign(0))).toBe(880);
  });

  it("writes lifts as signed points and says nothing for a missing one", () => {
    const format = (n: number, d?: number) => n.toFixed(d ?? 3);
    expect(signedPoints(0.025, format)).toBe("+2.50");
    expect(signedPoints(-0.01, format)).toBe("−1.00");
    expect(signedPoints(null, format)).toBe("–");
  });

  it("puts the reason a verdict waits first, and counts the days left", () => {
    const report = { notes: ["underpowered", "window_open", "sample_ratio_mismatch"], window_to: "2026-12-20T00:00:00Z" } as unknown as Report;
    expect(waitingReasons(report)).toEqual(["sample_ratio_mismatch", "window_open", "underpowered"]);
    expect(daysLeft(report, new Date("2026-12-18T12:00:00Z"))).toBe(2);
    expect(daysLeft(report, new Date("2027-01-01T00:00:00Z"))).toBe(0);
  });
});

describe("the exported report", () => {
  it("holds the words, the table and the charts, with customer-named text escaped and no script", () => {
    const html = reportHtml({
      language: "zh", title: "结果 <spring>", question: "q", verdict: "尚无法判定。", notes: ["n1"],
      header: ["组", "转化率"], rows: [["<img src=x onerror=alert(1)>", "12%"]], lines: ["l"],
      charts: [{ caption: "rates", png: "data:image/png;base64,iVBORw0KGgo=" }, { caption: "bad", png: "javascript:alert(1)" }],
      methods: [["ci", "Wilson"]],
    });
    expect(html).toContain('<html lang="zh">');
    expect(html).toContain("结果 &lt;spring&gt;");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain('src="data:image/png;base64,iVBORw0KGgo="');
    expect(html).not.toContain("javascript:");
    expect(html).not.toContain("<script");
    expect(html).toContain("default-src 'none'");
  });
});
