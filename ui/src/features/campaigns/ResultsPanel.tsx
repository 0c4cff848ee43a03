import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from "chart.js";
import type { Report } from "../../lib/bindings";
import { backend } from "../../lib/backend";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { useNumber } from "../../lib/numbers";
import { daysLeft, reportHtml, signedPoints, waitingReasons } from "./experimentModel";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

/** One colour per arm, the control grey. */
const COLOURS = ["#2f6fde", "#d9822b", "#2e9e5b", "#a64dbf", "#c23b3b", "#3aa6b9"];

/**
 * Did it work? The campaign's latest run against its hypothesis: the verdict (supported, not
 * supported, not yet decidable and why), each arm's rate with its 95% interval and the cumulative
 * outcome over the days since the run, drawn with Chart.js; the lift, adjusted p-value and revenue
 * per recipient of each arm against the control; warnings for a split that is not as planned and
 * for too few customers.
 */
export function ResultsPanel({ campaign, refresh }: { campaign: string; refresh: unknown }) {
  const { t, i18n } = useTranslation();
  const number = useNumber();
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [exported, setExported] = useState<string | null>(null);
  const rates = useRef<HTMLCanvasElement>(null);
  const days = useRef<HTMLCanvasElement>(null);

  const load = () =>
    backend.campaignReport(campaign, null).then(
      (r) => (setReport(r), setError(null)),
      (e) => (setReport(null), setError(e)),
    );
  useEffect(() => {
    load();
  }, [campaign, refresh]); // eslint-disable-line react-hooks/exhaustive-deps -- reloaded with each run
  const armName = (arm: string) => (arm === "holdout" ? t("campaigns.holdoutArm") : arm);

  // The charts follow the report and the language (their labels are worded).
  useEffect(() => {
    if (!report || !rates.current || !days.current) return;
    const labels = report.arms.map((a) => armName(a.arm));
    const colour = (i: number) => (report.arms[i].control ? "#8a8f98" : COLOURS[i % COLOURS.length]);
    const percentAxis = { ticks: { callback: (v: number | string) => `${number(Number(v), 1)}%` }, beginAtZero: true };
    const rateChart = new Chart<"bar" | "line", (number | [number, number])[], string>(rates.current, {
      type: "bar",
      data: {
        labels,
        datasets: [
          // The interval as a floating bar from its low to its high end; the rate as a point on it.
          { type: "bar", label: t("experiment.interval"), data: report.arms.map((a) => [(a.ci_low ?? 0) * 100, (a.ci_high ?? 0) * 100] as [number, number]), backgroundColor: report.arms.map((_, i) => colour(i) + "55"), borderColor: report.arms.map((_, i) => colour(i)), borderWidth: 1 },
          { type: "line", label: t("experiment.rate"), data: report.arms.map((a) => (a.rate ?? 0) * 100), showLine: false, pointRadius: 6, pointBackgroundColor: report.arms.map((_, i) => colour(i)), borderColor: "#222" },
        ],
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: percentAxis }, plugins: { legend: { position: "bottom" } } },
    });
    const dayChart = new Chart(days.current, {
      type: "line",
      data: {
        labels: report.daily.map((d) => t("experiment.day", { day: number(d.day) })),
        datasets: report.arms.map((a, i) => ({ label: armName(a.arm), data: report.daily.map((d) => (d.rates[i] ?? 0) * 100), borderColor: colour(i), backgroundColor: colour(i), tension: 0.2, pointRadius: 2 })),
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: percentAxis }, plugins: { legend: { position: "bottom" } } },
    });
    return () => {
      rateChart.destroy();
      dayChart.destroy();
    };
  }, [report, i18n.language]); // eslint-disable-line react-hooks/exhaustive-deps -- words follow the language

  if (error) return <section className="panel" data-testid="results-panel"><h2>{t("experiment.results")}</h2><ErrorMessage error={error} testId="results-error" /></section>;
  if (!report) return null;
  const h = report.hypothesis;
  const left = daysLeft(report, new Date());
  const header = [t("experiment.arm"), t("experiment.customers"), t("experiment.converted"), t("experiment.rate"), t("experiment.interval"), t("experiment.lift"), t("experiment.pAdjusted"), t("experiment.revenuePerRecipient")];
  const rows = report.arms.map((a) => [
    a.control ? `${armName(a.arm)} (${t("experiment.controlArm")})` : armName(a.arm),
    number(a.n),
    number(a.conversions),
    a.rate === null ? "–" : `${number(a.rate * 100, 2)}%`,
    a.ci_low === null || a.ci_high === null ? "–" : `${number(a.ci_low * 100, 2)}–${number(a.ci_high * 100, 2)}%`,
    a.control ? "" : a.lift_abs === null ? "–" : `${signedPoints(a.lift_abs, number)} ${t("experiment.points")}`,
    a.control || a.p_adjusted === null ? "" : number(a.p_adjusted, 4),
    a.revenue_per_recipient === null ? "–" : number(a.revenue_per_recipient, 2),
  ]);
  const question = (h.statement ? `“${h.statement}” — ` : "") + t(h.measure === "revenue" ? "experiment.questionRevenue" : "experiment.question", { metric: report.metric, days: number(h.window_days ?? 14), control: armName(report.control) });
  const verdict = t(`experiment.verdict.${report.verdict}`) + (report.verdict === "supported" && report.winner ? " " + t("experiment.winner", { winner: armName(report.winner) }) : "");
  const notes = waitingReasons(report).map((note) => [note, t(`experiment.notes.${note}`, { days: number(left), needed: number(report.needed_per_arm), lift: number((report.detectable_lift ?? 0) * 100, 1) })]);
  const srm = report.srm_p_value === null ? null : t(report.srm_mismatch ? "experiment.srmMismatch" : "experiment.srmFine", { p: number(report.srm_p_value, 4) });
  const incremental = report.incremental_revenue === null ? null : t("experiment.incremental", { revenue: number(report.incremental_revenue, 2) });

  async function exportReport() {
    setExported(null);
    try {
      const title = `${t("experiment.results")}: ${campaign}`;
      const path = await backend.filePick({ kind: "save", title: t("experiment.exportTitle"), filter: { name: "HTML", extensions: ["html"] }, file_name: `${campaign}-${t("experiment.results")}.html` });
      if (path === null) return;
      const html = reportHtml({
        language: i18n.language, title, question, verdict, notes: notes.map((n) => n[1]), header, rows,
        lines: [srm, incremental].filter((l): l is string => l !== null),
        charts: [
          { caption: t("experiment.ratesChart"), png: rates.current?.toDataURL("image/png") ?? "" },
          { caption: t("experiment.daysChart"), png: days.current?.toDataURL("image/png") ?? "" },
        ],
        methods: Object.keys(report!.methods).map((k) => [k, t(`experiment.method.${k}`)]),
      });
      await backend.reportExport(path, html);
      setExported(path);
    } catch (e) {
      setError(e);
    }
  }
  return (
    <section className="panel results" data-testid="results-panel" aria-label={t("experiment.results")}>
      <h2>{t("experiment.results")}</h2>
      <p className="muted" data-testid="results-question">{question}</p>
      <p data-testid="results-verdict" className={`verdict ${report.verdict}`}>{verdict}</p>
      <ul className="notes" data-testid="results-notes">
        {notes.map(([note, text]) => <li key={note} data-testid={`results-note-${note}`}>{text}</li>)}
      </ul>
      <table data-testid="results-table">
        <thead>
          <tr>{header.map((h) => <th key={h}>{h}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={report.arms[i].arm} data-testid="results-arm">
              {row.map((cell, j) => <td key={j} className={j > 0 ? "mono" : undefined} data-testid={j === 2 ? "results-conversions" : undefined}>{cell}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      {srm !== null && <p className={report.srm_mismatch ? "error" : "muted"} data-testid="results-srm">{srm}</p>}
      {incremental !== null && <p data-testid="results-incremental">{incremental}</p>}
      <div className="charts">
        <figure>
          <figcaption>{t("experiment.ratesChart")}</figcaption>
          <div className="chart"><canvas ref={rates} data-testid="results-rates-chart" role="img" aria-label={t("experiment.ratesChart")} /></div>
        </figure>
        <figure>
          <figcaption>{t("experiment.daysChart")}</figcaption>
          <div className="chart"><canvas ref={days} data-testid="results-days-chart" role="img" aria-label={t("experiment.daysChart")} /></div>
        </figure>
      </div>
      <details>
        <summary>{t("experiment.methods")}</summary>
        <dl className="methods">
          {Object.keys(report.methods).map((what) => <div key={what}><dt className="mono">{what}</dt><dd>{t(`experiment.method.${what}`)}</dd></div>)}
        </dl>
      </details>
      <div className="toolbar">
        <button data-testid="results-reload" onClick={load}>{t("experiment.reload")}</button>
        <button data-testid="results-export" onClick={exportReport}>{t("experiment.export")}</button>
        {exported && <span className="muted" data-testid="results-exported">{t("experiment.exported", { path: exported })}</span>}
      </div>
    </section>
  );
}
