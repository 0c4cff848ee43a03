import { useState } from "react";
import { useTranslation } from "react-i18next";
import { open } from "@tauri-apps/plugin-dialog";
import { Channel } from "@tauri-apps/api/core";
import type { ImportKind, ImportSummary, Progress } from "../../lib/bindings";
import { backend, errorText } from "../../lib/backend";

/** Pick a file, import it with a progress bar, then report rejected rows with line numbers. */
export function ImportWizard({ onClose, onImported }: { onClose: () => void; onImported: () => void }) {
  const { t } = useTranslation();
  const [path, setPath] = useState("");
  const [kind, setKind] = useState<ImportKind>("customers");
  const [progress, setProgress] = useState<Progress | null>(null);
  const [summary, setSummary] = useState<ImportSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const busy = progress !== null && summary === null && error === null;

  async function pick() {
    const picked = await open({ multiple: false, filters: [{ name: "CSV / JSON", extensions: ["csv", "txt", "tsv", "json", "ndjson", "jsonl"] }] });
    if (typeof picked === "string") setPath(picked);
  }

  async function start() {
    setSummary(null);
    setError(null);
    setProgress({ stage: "read", rows: 0 });
    const channel = new Channel<Progress>();
    channel.onmessage = setProgress;
    try {
      setSummary(await backend.customersImport(path, kind, channel));
      onImported();
    } catch (e) {
      setError(errorText(e));
    }
  }

  return (
    <div className="panel" role="dialog" aria-label={t("import.title")} data-testid="import-wizard">
      <h2>{t("import.title")}</h2>
      <div className="toolbar">
        <label>
          {t("import.kind")}{" "}
          <select value={kind} onChange={(e) => setKind(e.target.value as ImportKind)}>
            <option value="customers">{t("import.customers")}</option>
            <option value="events">{t("import.events")}</option>
          </select>
        </label>
        <input data-testid="import-path" className="grow mono" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/customers.csv" />
        <button onClick={pick}>{t("import.pick")}</button>
        <button data-testid="import-start" className="primary" disabled={!path || busy} onClick={start}>{t("import.start")}</button>
        <button onClick={onClose}>{t("customers.close")}</button>
      </div>
      {busy && progress && (
        <div className="progress" role="progressbar" aria-busy="true">
          <div className={progress.stage === "writing" ? "bar half" : "bar"} />
          <span>{t(progress.stage === "writing" ? "import.writing" : "import.reading", { rows: progress.rows.toLocaleString() })}</span>
        </div>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {summary && (
        <div data-testid="import-report">
          <p className="ok">{t("import.done", summary)}</p>
          {summary.errors.length > 0 && (
            <>
              <h3>{t("import.rejected")}</h3>
              <table className="rejections">
                <thead><tr><th>{t("import.line")}</th><th>{t("import.reason")}</th></tr></thead>
                <tbody>
                  {summary.errors.map((e) => (
                    <tr key={e.line} data-testid="rejected-row"><td className="mono">{e.line}</td><td>{e.reason}</td></tr>
                  ))}
                </tbody>
              </table>
              {summary.rejected_file && <p className="muted">{t("import.rejectedFile", { file: summary.rejected_file })}</p>}
            </>
          )}
        </div>
      )}
    </div>
  );
}
