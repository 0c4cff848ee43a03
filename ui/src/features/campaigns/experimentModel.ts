// The experiment around a campaign, as the editor and the results panel use it: the hypothesis
// with its defaults, the arms it compares, and how the report's numbers are read.
import type { Campaign, Hypothesis, Report, Split } from "../../lib/bindings";

/** Event types the workspace records or imports that make natural conversions. */
export const CONVERSION_EVENTS = ["purchase", "form_submission", "microsite_click", "video_click", "video_complete"];

/** A first hypothesis for `campaign`: purchases within two weeks, against the holdout when it has one. */
export function defaultHypothesis(campaign: Campaign): Hypothesis {
  return {
    statement: "",
    metric: { event: "purchase" },
    measure: "conversion",
    window_days: 14,
    control: (campaign.holdout ?? 0) > 0 ? "holdout" : campaign.variants[0]?.name ?? "holdout",
    mde: 0.02,
  };
}

/** The arms a test compares: the variants, and the holdout when there is one. */
export function armsCompared(campaign: Campaign): number {
  return campaign.variants.length + ((campaign.holdout ?? 0) > 0 ? 1 : 0);
}

/** The fewest customers any compared arm gets in the live split (what the test's power rests on). */
export function smallestArm(split: Split, campaign: Campaign): number {
  const counts = split.arms.map((a) => a.customers);
  if ((campaign.holdout ?? 0) > 0) counts.push(split.holdout.customers);
  return counts.length ? Math.min(...counts) : 0;
}

/** Whether the metric is read from the workspace's events (else from a results file). */
export function isEventMetric(h: Hypothesis): h is Hypothesis & { metric: { event: string } } {
  return "event" in h.metric;
}

/** A share as percentage points with a sign ("+2.5"), for lifts. */
export function signedPoints(value: number | null | undefined, format: (n: number, digits?: number) => string): string {
  if (value === null || value === undefined) return "–";
  return `${value > 0 ? "+" : value < 0 ? "−" : ""}${format(Math.abs(value) * 100, 2)}`;
}

/** The notes of a report that explain a verdict not reached, first among them. */
export function waitingReasons(report: Report): string[] {
  const order = ["sample_ratio_mismatch", "empty_arm", "no_outcomes", "window_open", "underpowered", "decided_early", "hypothesis_after_run", "assumed_hypothesis"];
  return [...report.notes].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/** Days left in the attribution window at `now` (0 once it ended). */
export function daysLeft(report: Report, now: Date): number {
  const end = Date.parse(report.window_to);
  return Math.max(0, Math.ceil((end - now.getTime()) / 86_400_000));
}

/** Text as HTML text or attribute value: customer-named arms and the user's statement are data. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** What an exported report holds, already worded in the user's language. */
export type ReportDocument = {
  language: string;
  title: string;
  question: string;
  verdict: string;
  notes: string[];
  header: string[];
  rows: string[][];
  lines: string[];
  /** Each chart's caption and its picture (a PNG data URL of the canvas as drawn). */
  charts: { caption: string; png: string }[];
  methods: [string, string][];
};

/** A self-contained HTML page of the report: no script, no remote resource (its CSP says so). */
export function reportHtml(doc: ReportDocument): string {
  const e = escapeHtml;
  const png = (url: string) => (/^data:image\/png;base64,[A-Za-z0-9+/=]+$/.test(url) ? url : "");
  return `<!doctype html>
<html lang="${e(doc.language)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${e(doc.title)}</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:960px;margin:24px auto;color:#1d2939}table{border-collapse:collapse}td,th{border-bottom:1px solid #eaecf0;padding:4px 10px;text-align:left}figure{margin:16px 0}img{max-width:100%}.verdict{font-size:18px;font-weight:600}</style>
</head>
<body>
<h1>${e(doc.title)}</h1>
<p>${e(doc.question)}</p>
<p class="verdict">${e(doc.verdict)}</p>
<ul>${doc.notes.map((n) => `<li>${e(n)}</li>`).join("")}</ul>
<table><thead><tr>${doc.header.map((h) => `<th>${e(h)}</th>`).join("")}</tr></thead>
<tbody>${doc.rows.map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join("")}</tr>`).join("\n")}</tbody></table>
${doc.lines.map((l) => `<p>${e(l)}</p>`).join("\n")}
${doc.charts.map((c) => `<figure><figcaption>${e(c.caption)}</figcaption><img alt="${e(c.caption)}" src="${png(c.png)}"></figure>`).join("\n")}
<dl>${doc.methods.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join("")}</dl>
</body>
</html>
`;
}
