import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNumber } from "../../lib/numbers";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { Channel } from "@tauri-apps/api/core";
import type { ColumnPreview, EventsForecast, FilePreview, ImportForecast, ImportKind, ImportSummary, MappingError, Progress, RowError } from "../../lib/bindings";
import { BackendError, backend, problemText as fieldProblemText } from "../../lib/backend";
import { choiceOf, CUSTOM, existingChoice, FIELD_CHOICES, hasKey, NO_CHOICES, rememberedFields, rememberFields, settingsFrom, type WizardChoices } from "./mapping";

const ENCODINGS = ["utf-8", "gb18030"];
const DELIMITERS = [",", ";", "tab", "|"];

/**
 * Pick a file → see what was detected (format, encoding, delimiter) and how each column maps,
 * with the first rows → change any of it → import with a progress bar (cancellable) → the
 * report of rejected rows with their line numbers.
 */
export function ImportWizard({ attributes, onClose, onImported }: { attributes: string[]; onClose: () => void; onImported: () => void }) {
  const { t } = useTranslation();
  const number = useNumber();
  // The mapping restored from the last import of a file with the same header, if any.
  const [restored, setRestored] = useState(false);
  const [path, setPath] = useState("");
  const [kind, setKind] = useState<ImportKind>("customers");
  const [choices, setChoices] = useState<WizardChoices>(NO_CHOICES);
  const [preview, setPreview] = useState<FilePreview | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [summary, setSummary] = useState<ImportSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [cancelled, setCancelled] = useState(false);
  const busy = progress !== null && summary === null && error === null && !cancelled;

  // Every change of file or choice previews again, so what is shown is what will be imported.
  useEffect(() => {
    if (!path) return setPreview(null);
    let current = true;
    const timer = setTimeout(() => {
      backend.importPreview(path, kind, settingsFrom(choices)).then(
        (p) => {
          if (!current) return;
          // A file whose header was imported before: map it as the user did then.
          const remembered = Object.keys(choices.fields).length === 0 && !restored ? rememberedFields(localStorage, kind, p.columns.map((c) => c.name)) : {};
          if (Object.keys(remembered).length > 0) {
            setRestored(true);
            setChoices({ ...choices, fields: remembered });
          }
          setPreview(p);
          setError(null);
        },
        (e) => current && (setPreview(null), setError(e)),
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
    setRestored(false);
    setChoices(NO_CHOICES);
    setPath(next);
  }

  async function pick() {
    try {
      const picked = await backend.filePick({ kind: "open", title: t("import.pickTitle"), filter: { name: t("import.fileType"), extensions: ["csv", "txt", "tsv", "json", "ndjson", "jsonl"] }, file_name: null });
      if (picked !== null) choosePath(picked);
    } catch (e) {
      setError(e);
    }
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
      if (preview) rememberFields(localStorage, kind, preview.columns.map((c) => c.name), choices.fields);
      onImported();
    } catch (e) {
      if (e instanceof BackendError && e.detail.code === "cancelled") setCancelled(true);
      else setError(e);
    }
  }

  // A field in the user's words: "Email", "attribute “city”".
  const fieldLabel = (field: string) =>
    field.startsWith(`${CUSTOM}:`) ? t("import.attributeNamed", { name: field.slice(CUSTOM.length + 1) }) : t(`import.fields.${field.replace(":", "_")}`);
  const choices_of = (c: ColumnPreview) => choices.fields[c.name] ?? choiceOf(c.field, attributes);
  const chooseField = (column: string, field: string) => choose({ fields: { ...choices.fields, [column]: field } });
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
  const ready = preview !== null && hasKey(preview.columns) && preview.problem === null && preview.missing === null;
  // An events file whose rows have no type column: one type for all of them, asked for.
  const typeColumn = preview?.columns.some((c) => choices_of(c) === "type") ?? false;

  const detected = (value: string | null) => (value ? t("import.auto", { value: value === "\t" ? t("import.tab") : value }) : t("import.detect"));

  return (
    <div className="panel" role="dialog" aria-label={t("import.title")} data-testid="import-wizard">
      <h2>{t("import.title")}</h2>
      <div className="toolbar">
        <label>
          {t("import.kind")}{" "}
          <select data-testid="import-kind" value={kind} onChange={(e) => { setKind(e.target.value as ImportKind); setChoices(NO_CHOICES); }}>
            <option value="customers">{t("import.customers")}</option>
            <option value="events">{t("import.events")}</option>
          </select>
        </label>
        <input data-testid="import-path" aria-label={t("import.path")} className="grow mono" value={path} onChange={(e) => choosePath(e.target.value)} placeholder={t("import.pathHint")} />
        <button onClick={pick}>{t("import.pick")}</button>
        <button data-testid="import-close" onClick={onClose}>{t("customers.close")}</button>
      </div>

      {preview && (
        <section data-testid="import-preview" aria-label={t("import.preview")}>
          <div className="toolbar">
            <span className="muted" data-testid="import-detected">
              {preview.format.toUpperCase()} · {preview.encoding}{preview.delimiter ? ` · ${t("import.delimiter")} “${preview.delimiter === "\t" ? t("import.tab") : preview.delimiter}”` : ""}
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
                        value={choices_of(c)}
                        onChange={(e) => chooseField(c.name, e.target.value)}
                      >
                        {FIELD_CHOICES[kind].map((f) => (
                          <option key={f} value={f}>{t(`import.fields.${f === CUSTOM ? `${CUSTOM}.${kind}` : f.replace(":", "_")}`)}</option>
                        ))}
                        {kind === "customers" && attributes.length > 0 && (
                          <optgroup label={t("import.existingAttributes")}>
                            {attributes.map((a) => <option key={a} value={existingChoice(a)}>{t("import.existingAttribute", { name: a })}</option>)}
                          </optgroup>
                        )}
                      </select>
                      <Suggested column={c} chosen={choices_of(c)} onUse={(field) => chooseField(c.name, field)} />
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
          {restored && Object.keys(choices.fields).length > 0 && (
            <p className="muted" data-testid="import-restored">
              {t("import.restored")}{" "}
              <button className="link" onClick={() => choose({ fields: {} })}>{t("import.restoredReset")}</button>
            </p>
          )}
          {kind === "events" && (
            <div className="form" data-testid="import-event-options">
              {!typeColumn && (
                <label>{t("import.eventType")}
                  <input data-testid="import-event-type" aria-invalid={preview.missing?.field === "event_type"} value={choices.eventType} placeholder={t("import.eventTypeHint")} onChange={(e) => choose({ eventType: e.target.value })} />
                </label>
              )}
              <label className="check">
                <span><input type="checkbox" data-testid="import-allow-future" checked={choices.allowFuture} onChange={(e) => choose({ allowFuture: e.target.checked })} /> {t("import.allowFuture")}</span>
              </label>
            </div>
          )}
          {preview.missing && <p className="error" role="alert" data-testid={`import-missing-${preview.missing.field}`}>{fieldProblemText(preview.missing)}</p>}
          {preview.forecast && <Forecast forecast={preview.forecast} fieldLabel={fieldLabel} />}
          {preview.events_forecast && <EventsForecastPanel forecast={preview.events_forecast} />}
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
          <span>{t(progress.stage === "writing" ? "import.writing" : "import.reading", { rows: number(progress.rows) })}</span>
        </div>
      )}
      {cancelled && <p className="muted" role="status">{t("import.cancelled")}</p>}
      {error !== null && <ErrorMessage error={error} />}
      {summary && (
        <div data-testid="import-report">
          <p className="ok">{t("import.done", summary)}</p>
          {summary.possible_duplicates > 0 && <p className="warn-box" data-testid="import-possible-duplicates">{t("import.possibleDuplicates", { count: summary.possible_duplicates })}</p>}
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
          <tr key={r.line} data-testid={testid}><td className="mono">{r.line}</td><td title={r.reason}>{fieldProblemText(r.problem, r.reason)}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

/** Under a column's field: that it is an existing attribute and why it was matched, or an
 * existing attribute its values look like, offered with one click. */
function Suggested({ column, chosen, onUse }: { column: ColumnPreview; chosen: string; onUse: (field: string) => void }) {
  const { t } = useTranslation();
  const s = column.suggestion;
  if (!s) return null;
  const name = s.field.slice(CUSTOM.length + 1);
  if (chosen === s.field) return <div className="hint ok" data-testid={`existing-${column.name}`}>{t(`import.matched.${s.reason}`, { name })}</div>;
  return (
    <div className="hint">
      <button className="link" data-testid={`suggest-${column.name}`} onClick={() => onUse(s.field)}>{t("import.useExisting", { name })}</button>
    </div>
  );
}

/** What importing the previewed rows as events would do: events added (and for how many
 * customers), those already imported, and the rows that would be rejected. */
function EventsForecastPanel({ forecast }: { forecast: EventsForecast }) {
  const { t } = useTranslation();
  const number = useNumber();
  return (
    <section data-testid="import-events-forecast" aria-label={t("import.forecast")}>
      <h3>{t("import.forecast")}</h3>
      <p>
        {t("import.eventsForecast", { count: forecast.new_events, events: number(forecast.new_events), customers: number(forecast.customers), already: number(forecast.already_imported), rejected: number(forecast.rejected_total) })}
      </p>
      {forecast.rejected.length > 0 && (
        <>
          <h4>{t("import.willReject")}</h4>
          <RowTable rows={forecast.rejected} testid="forecast-rejected" />
          {forecast.rejected_total > forecast.rejected.length && <p className="muted">{t("import.moreRejected", { count: forecast.rejected_total - forecast.rejected.length })}</p>}
        </>
      )}
    </section>
  );
}

/** What importing the previewed rows would do: new and updated customers, the rows that would
 * be rejected, and the existing values that would change. */
function Forecast({ forecast, fieldLabel }: { forecast: ImportForecast; fieldLabel: (field: string) => string }) {
  const { t } = useTranslation();
  const number = useNumber();
  return (
    <section data-testid="import-forecast" aria-label={t("import.forecast")}>
      <h3>{t("import.forecast")}</h3>
      <p>
        {t("import.forecastCounts", { added: number(forecast.new_customers), updated: number(forecast.updated_customers), unchanged: number(forecast.unchanged), rejected: number(forecast.rejected.length) })}
      </p>
      {forecast.rejected.length > 0 && (
        <>
          <h4>{t("import.willReject")}</h4>
          <RowTable rows={forecast.rejected.slice(0, 20)} testid="forecast-rejected" />
        </>
      )}
      {forecast.merges.length > 0 && (
        <>
          <h4>{t("import.willMerge", { count: forecast.merged_total })}</h4>
          <table className="rejections" data-testid="forecast-merges">
            <thead><tr><th>{t("import.line")}</th><th>{t("import.joins")}</th><th>{t("import.sharedKey")}</th></tr></thead>
            <tbody>
              {forecast.merges.map((m) => (
                <tr key={m.line} data-testid="forecast-merge">
                  <td className="mono">{m.line}</td>
                  <td>{m.customer === null ? t("import.earlierRow") : t("import.customerNumber", { id: m.customer })}</td>
                  <td className="mono">{m.key}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {forecast.merged_total > forecast.merges.length && <p className="muted">{t("import.moreMerges", { count: forecast.merged_total - forecast.merges.length })}</p>}
        </>
      )}
      {forecast.possible_duplicates > 0 && (
        <p className="warn-box" data-testid="forecast-possible-duplicates">{t("import.possibleDuplicates", { count: forecast.possible_duplicates })}</p>
      )}
      {forecast.changes.length > 0 && (
        <>
          <h4>{t("import.willChange", { count: forecast.changed_total })}</h4>
          <table className="rejections" data-testid="forecast-changes">
            <thead><tr><th>{t("import.line")}</th><th>{t("customers.name")}</th><th>{t("import.field")}</th><th>{t("import.now")}</th><th>{t("import.after")}</th></tr></thead>
            <tbody>
              {forecast.changes.flatMap((c) => c.values.map((v, i) => (
                <tr key={`${c.line}:${v.field}`} data-testid="forecast-change">
                  <td className="mono">{i === 0 ? c.line : ""}</td>
                  <td>{i === 0 ? c.name ?? t("customers.unnamed", { id: c.customer }) : ""}</td>
                  <td>{fieldLabel(v.field)}</td>
                  <td className="before">{v.before}</td>
                  <td className="after">{v.after}</td>
                </tr>
              )))}
            </tbody>
          </table>
          {forecast.changed_total > forecast.changes.length && <p className="muted">{t("import.moreChanges", { count: forecast.changed_total - forecast.changes.length })}</p>}
        </>
      )}
    </section>
  );
}
