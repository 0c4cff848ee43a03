import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { open } from "@tauri-apps/plugin-dialog";
import { Channel } from "@tauri-apps/api/core";
import type { FilePreview, ImportKind, ImportSummary, MappingError, Progress, RowError } from "../../lib/bindings";
import { BackendError, backend, errorText } from "../../lib/backend";
import { choiceOf, CUSTOM, FIELD_CHOICES, hasKey, NO_CHOICES, settingsFrom, type WizardChoices } from "./mapping";

const ENCODINGS = ["utf-8", "gb18030"];
const DELIMITERS = [",", ";", "tab", "|"];

/**
 * Pick a file → see what was detected (format, encoding, delimiter) and how each column maps,
 * with the first rows → change any of it → import with a progress bar (cancellable) → the
 * report of rejected rows with their line numbers.
 */
export function ImportWizard({ onClose, onImported }: { onClose: () => void; onImported: () => void }) {
  const { t } = useTranslation();
  const [path, setPath] = useState("");
  const [kind, setKind] = useState<ImportKind>("customers");
  const [choices, setChoices] = useState<WizardChoices>(NO_CHOICES);
  const [preview, setPreview] = useState<FilePreview | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [summary, setSummary] = useState<ImportSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cancelled, setCancelled] = useState(false);
  const busy = progress !== null && summary === null && error === null && !cancelled;

  // Every change of file or choice previews again, so what is shown is what will be imported.
  useEffect(() => {
    if (!path) return setPreview(null);
    let current = true;
    const timer = setTimeout(() => {
      backend.importPreview(path, kind, settingsFrom(choices)).then(
        (p) => current && (setPreview(p), setError(null)),
        (e) => current && (setPreview(null), setError(errorText(e))),
      );
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [path, kind, choices]);

  // A new file or a changed choice starts over: the last import's report and progress go.
  function choose(next: Partial<WizardChoices>) {
    setSummary(null);
    setProgress(null);
    setChoices({ ...choices, ...next });
  }

  function choosePath(next: string) {
    setSummary(null);
    setProgress(null);
    setChoices(NO_CHOICES);
    setPath(next);
  }

  async function pick() {
    const picked = await open({ multiple: false, filters: [{ name: "CSV / JSON", extensions: ["csv", "txt", "tsv", "json", "ndjson", "jsonl"] }] });
    if (typeof picked === "string") choosePath(picked);
  }

  async function start() {
    setSummary(null);
    setError(null);
    setCancelled(false);
    setProgress({ stage: "read", rows: 0 });
    const channel = new Channel<Progress>();
    channel.onmessage = setProgress;
    try {
      setSummary(await backend.customersImport(path, kind, settingsFrom(choices), channel));
      onImported();
    } catch (e) {
      if (e instanceof BackendError && e.detail.code === "cancelled") setCancelled(true);
      else setError(errorText(e));
    }
  }

  // A field in the user's words: "Email", "attribute “city”".
  const fieldLabel = (field: string) =>
    field.startsWith(`${CUSTOM}:`) ? t("import.attributeNamed", { name: field.slice(CUSTOM.length + 1) }) : t(`import.fields.${field.replace(":", "_")}`);
  const problemText = (p: MappingError) => {
    switch (p.kind) {
      case "collision":
        return t("import.collision", { columns: p.columns.map((c) => `“${c}”`).join(", "), field: fieldLabel(p.field) });
      case "unnamed":
        return t("import.unnamed", { column: p.column });
      default:
        return t("import.unknownColumn", { column: p.column });
    }
  };
  const ready = preview !== null && hasKey(preview.columns) && preview.problem === null;

  const detected = (value: string | null) => (value ? t("import.auto", { value: value === "\t" ? t("import.tab") : value }) : t("import.detect"));

  return (
    <div className="panel" role="dialog" aria-label={t("import.title")} data-testid="import-wizard">
      <h2>{t("import.title")}</h2>
      <div className="toolbar">
        <label>
          {t("import.kind")}{" "}
          <select value={kind} onChange={(e) => { setKind(e.target.value as ImportKind); setChoices(NO_CHOICES); }}>
            <option value="customers">{t("import.customers")}</option>
            <option value="events">{t("import.events")}</option>
          </select>
        </label>
        <input data-testid="import-path" className="grow mono" value={path} onChange={(e) => choosePath(e.target.value)} placeholder="/path/to/customers.csv" />
        <button onClick={pick}>{t("import.pick")}</button>
        <button onClick={onClose}>{t("customers.close")}</button>
      </div>

      {preview && (
        <section data-testid="import-preview" aria-label={t("import.preview")}>
          <div className="toolbar">
            <span className="muted" data-testid="import-detected">
              {preview.format.toUpperCase()} · {preview.encoding}{preview.delimiter ? ` · ${t("import.delimiter")} “${preview.delimiter === "\t" ? "tab" : preview.delimiter}”` : ""}
            </span>
            <label>
              {t("import.encoding")}{" "}
              <select data-testid="import-encoding" value={choices.encoding} onChange={(e) => choose({ encoding: e.target.value })}>
                <option value="auto">{detected(choices.encoding === "auto" ? preview.encoding : null)}</option>
                {ENCODINGS.map((e) => <option key={e} value={e}>{e}</option>)}
              </select>
            </label>
            {preview.format === "csv" && (
              <label>
                {t("import.delimiter")}{" "}
                <select data-testid="import-delimiter" value={choices.delimiter} onChange={(e) => choose({ delimiter: e.target.value })}>
                  <option value="auto">{detected(choices.delimiter === "auto" ? preview.delimiter : null)}</option>
                  {DELIMITERS.map((d) => <option key={d} value={d}>{d === "tab" ? t("import.tab") : d}</option>)}
                </select>
              </label>
            )}
          </div>
          <div className="preview-table">
            <table>
              <thead>
                <tr>{preview.columns.map((c, i) => <th key={i}>{c.name}</th>)}</tr>
                <tr>
                  {preview.columns.map((c, i) => (
                    <th key={i}>
                      <select
                        data-testid={`map-${c.name}`}
                        aria-label={t("import.mapTo", { column: c.name })}
                        value={choices.fields[c.name] ?? choiceOf(c.field)}
                        onChange={(e) => choose({ fields: { ...choices.fields, [c.name]: e.target.value } })}
                      >
                        {FIELD_CHOICES[kind].map((f) => (
                          <option key={f} value={f}>{t(`import.fields.${f === CUSTOM ? `${CUSTOM}.${kind}` : f.replace(":", "_")}`)}</option>
                        ))}
                      </select>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((row, i) => (
                  <tr key={i}>{row.map((cell, j) => <td key={j}>{cell}</td>)}</tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted">
            {preview.whole_file ? t("import.rowsInFile", { count: preview.rows_read }) : t("import.rowsInStart", { count: preview.rows_read })}
          </p>
          {!hasKey(preview.columns) && <p className="error" role="alert">{t("import.noKey")}</p>}
          {preview.problem && <p className="error" role="alert" data-testid="import-problem">{problemText(preview.problem)}</p>}
          <div className="toolbar">
            <button data-testid="import-start" className="primary" disabled={busy || !ready} onClick={start}>{t("import.start")}</button>
            {busy && <button data-testid="import-cancel" onClick={() => backend.importCancel()}>{t("import.cancel")}</button>}
          </div>
        </section>
      )}

      {busy && progress && (
        <div className="progress" role="progressbar" aria-busy="true">
          <div className={progress.stage === "writing" ? "bar half" : "bar"} />
          <span>{t(progress.stage === "writing" ? "import.writing" : "import.reading", { rows: progress.rows.toLocaleString() })}</span>
        </div>
      )}
      {cancelled && <p className="muted" role="status">{t("import.cancelled")}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      {summary && (
        <div data-testid="import-report">
          <p className="ok">{t("import.done", summary)}</p>
          {summary.errors.length > 0 && (
            <>
              <h3>{t("import.rejected")}</h3>
              <RowTable rows={summary.errors} testid="rejected-row" />
              {summary.rejected_file && <p className="muted">{t("import.rejectedFile", { file: summary.rejected_file })}</p>}
            </>
          )}
          {summary.warnings.length > 0 && (
            <>
              <h3>{t("import.warnings")}</h3>
              <RowTable rows={summary.warnings} testid="warned-row" />
            </>
          )}
        </div>
      )}
    </div>
  );
}

/** Rows of the file with what happened to them (rejected, or imported with a change). */
function RowTable({ rows, testid }: { rows: RowError[]; testid: string }) {
  const { t } = useTranslation();
  return (
    <table className="rejections">
      <thead><tr><th>{t("import.line")}</th><th>{t("import.reason")}</th></tr></thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.line} data-testid={testid}><td className="mono">{r.line}</td><td>{r.reason}</td></tr>
        ))}
      </tbody>
    </table>
  );
}
