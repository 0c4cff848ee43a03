import { useState } from "react";
import { useTranslation } from "react-i18next";
import { open } from "@tauri-apps/plugin-dialog";
import { Channel } from "@tauri-apps/api/core";
import type { OutputFormat, RenderProgress, RenderSummary, Rule } from "../../lib/bindings";
import { useTemplate } from "../templates/useTemplate";
import { backend, errorText } from "../../lib/backend";
import { emptyRule } from "../segments/ruleModel";

/** Render every customer of a segment with a template into a folder, with progress and cancel. */
export function CampaignsScreen({ segment }: { segment: Rule }) {
  const { t } = useTranslation();
  const { templates, name: template, setName: setTemplate } = useTemplate();
  const [useSegment, setUseSegment] = useState((segment.conditions ?? []).length > 0);
  const [out, setOut] = useState("");
  const [format, setFormat] = useState<OutputFormat>("html");
  const [from, setFrom] = useState("Tessera <hello@example.com>");
  const [progress, setProgress] = useState<RenderProgress | null>(null);
  const [summary, setSummary] = useState<RenderSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = progress !== null && summary === null && error === null;

  async function pickFolder() {
    const picked = await open({ directory: true, multiple: false });
    if (typeof picked === "string") setOut(picked);
  }

  async function render() {
    setSummary(null);
    setError(null);
    setProgress({ done: 0, total: 0 });
    const channel = new Channel<RenderProgress>();
    channel.onmessage = setProgress;
    try {
      setSummary(await backend.campaignRender({ template, audience: useSegment ? segment : emptyRule(), out, format, from }, channel));
    } catch (e) {
      setError(errorText(e));
    }
  }

  function openRendered(item: "folder" | "manifest") {
    backend.campaignOpen(item).catch((e) => setError(errorText(e)));
  }

  const percent = progress && progress.total ? Math.round((100 * progress.done) / progress.total) : 0;
  return (
    <section className="campaigns">
      <h1>{t("campaigns.title")}</h1>
      <div className="form">
        <label>{t("campaigns.template")}
          <select data-testid="campaign-template" value={template} onChange={(e) => setTemplate(e.target.value)}>
            {templates.map((tpl) => <option key={tpl.name}>{tpl.name}</option>)}
          </select>
        </label>
        <label>{t("campaigns.audience")}
          <select value={useSegment ? "segment" : "everyone"} onChange={(e) => setUseSegment(e.target.value === "segment")}>
            <option value="everyone">{t("campaigns.everyone")}</option>
            <option value="segment" disabled={(segment.conditions ?? []).length === 0}>{t("campaigns.segment")}</option>
          </select>
        </label>
        <label>{t("campaigns.format")}
          <select value={format} onChange={(e) => setFormat(e.target.value as OutputFormat)}>
            <option value="html">HTML</option>
            <option value="eml">.eml (MIME)</option>
          </select>
        </label>
        <label>{t("campaigns.from")}<input value={from} onChange={(e) => setFrom(e.target.value)} /></label>
        <label>{t("campaigns.folder")}
          <span className="toolbar">
            <input data-testid="campaign-out" className="grow mono" value={out} onChange={(e) => setOut(e.target.value)} />
            <button onClick={pickFolder}>{t("campaigns.choose")}</button>
          </span>
        </label>
      </div>
      <div className="toolbar">
        <button data-testid="campaign-render" className="primary" disabled={!template || !out || running} onClick={render}>{t("campaigns.render")}</button>
        {running && <button data-testid="campaign-cancel" onClick={() => backend.campaignCancel()}>{t("campaigns.cancel")}</button>}
      </div>
      {progress && !summary && !error && (
        <div className="progress" role="progressbar" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100}>
          <div className="bar" style={{ background: `linear-gradient(90deg, var(--accent) ${percent}%, #dde1ea ${percent}%)` }} />
          <span>{progress.done.toLocaleString()} / {progress.total.toLocaleString()}</span>
        </div>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {summary && (
        <div className="panel" data-testid="campaign-summary">
          <p className={summary.cancelled ? "warn" : "ok"}>
            {t(summary.cancelled ? "campaigns.cancelled" : "campaigns.done", { rendered: summary.rendered.toLocaleString(), optedOut: summary.skipped_opted_out.toLocaleString(), noEmail: summary.skipped_no_email.toLocaleString() })}
          </p>
          <p>
            {t("campaigns.folder")}: <span className="mono" data-testid="campaign-folder">{summary.out}</span>{" "}
            <button className="link" onClick={() => openRendered("folder")}>{t("campaigns.openFolder")}</button>
          </p>
          <p>
            {t("campaigns.manifest")}: <span className="mono">{summary.manifest}</span>{" "}
            <button className="link" onClick={() => openRendered("manifest")}>{t("campaigns.openManifest")}</button>
          </p>
          {summary.missing_fields.length > 0 && (
            <ul className="warn">
              {summary.missing_fields.map((m) => (
                <li key={`${m.field}${m.line}`}>{t("campaigns.missing", { field: m.field, line: m.line, customers: m.customers, of: m.of })}</li>
              ))}
            </ul>
          )}
          {summary.unsafe_links.length > 0 && (
            <ul className="warn" data-testid="campaign-unsafe-links">
              {summary.unsafe_links.map((u) => (
                <li key={`${u.field}${u.line}${u.column}`}>{t("campaigns.unsafeLink", { field: u.field, line: u.line, customers: u.customers.toLocaleString(), of: u.of.toLocaleString() })}</li>
              ))}
            </ul>
          )}
          {summary.failed.length > 0 && <p className="error">{summary.failed.length} failed: {summary.failed[0].error}</p>}
        </div>
      )}
    </section>
  );
}
