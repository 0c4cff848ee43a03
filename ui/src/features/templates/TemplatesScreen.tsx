import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { MergeField, MissingReport, RenderedEmail, Rule } from "../../lib/bindings";
import { useTemplate } from "./useTemplate";
import { backend, BackendError, errorText } from "../../lib/backend";
import { EmailFrame } from "../preview/EmailFrame";
import { emptyRule } from "../segments/ruleModel";
import { CodeEditor, type CodeEditorApi } from "./CodeEditor";

/**
 * Edit a template's MJML + Handlebars source beside the live preview for one customer; save it;
 * check which merge fields would be empty for the customers of a segment.
 */
export function TemplatesScreen({ segment }: { segment: Rule }) {
  const { t } = useTranslation();
  const { templates, name, setName, source, setSource, dirty, save } = useTemplate();
  const [saveAs, setSaveAs] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const hasSegment = (segment.conditions ?? []).length > 0;
  const [useSegment, setUseSegment] = useState(hasSegment);
  const [missing, setMissing] = useState<MissingReport | null>(null);
  const [checking, setChecking] = useState(false);
  const [customer, setCustomer] = useState(1);
  const [width, setWidth] = useState(800);
  const [email, setEmail] = useState<RenderedEmail | null>(null);
  // Keystroke to updated preview, shown so slow templates are noticed.
  const editedAt = useRef<number | null>(null);
  const [latency, setLatency] = useState<number | null>(null);
  const [fields, setFields] = useState<MergeField[]>([]);
  const editor = useRef<CodeEditorApi | null>(null);
  const [problem, setProblem] = useState<{ message: string; line: number | null; column: number | null } | null>(null);

  // Re-render on every edit (debounced a frame): compile + merge for one customer is ~2 ms.
  useEffect(() => {
    if (!source) return;
    let current = true;
    const timer = setTimeout(() => {
      backend.emailPreview(source, customer).then(
        (e) => {
          if (!current) return;
          setEmail(e);
          setProblem(null);
        },
        (e) => current && showProblem(e),
      );
    }, 16);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [source, customer]);

  useEffect(() => {
    backend.mergeFields(customer).then(setFields, () => setFields([]));
  }, [customer]);

  /** Inserts `{{field}}` where the cursor is. */
  function insertField(name: string) {
    editor.current?.insert(`{{${name}}}`);
  }

  // Measured once the new preview is committed to the page.
  useEffect(() => {
    if (editedAt.current === null) return;
    setLatency(performance.now() - editedAt.current);
    editedAt.current = null;
  }, [email]);

  function showProblem(e: unknown) {
    const d = e instanceof BackendError ? e.detail : null;
    setProblem({ message: errorText(e), line: d?.line ?? null, column: d?.column ?? null });
  }

  async function saveTemplate(as: string) {
    setStatus(null);
    try {
      await save(as);
      setSaveAs("");
      setStatus(t("templates.saved", { name: as }));
    } catch (e) {
      showProblem(e);
    }
  }

  async function checkMissing() {
    setChecking(true);
    try {
      setMissing(await backend.templateMissingFields(source, useSegment ? segment : emptyRule()));
    } catch (e) {
      showProblem(e);
    } finally {
      setChecking(false);
    }
  }

  return (
    <section className="templates">
      <h1>{t("templates.title")}</h1>
      <div className="toolbar">
        <select data-testid="template-select" value={name} onChange={(e) => setName(e.target.value)}>
          {templates.map((tpl) => <option key={tpl.name}>{tpl.name}</option>)}
        </select>
        <button data-testid="template-save" disabled={!dirty || problem !== null} onClick={() => saveTemplate(name)}>{dirty ? t("templates.save") : t("templates.unchanged")}</button>
        <input data-testid="template-save-name" value={saveAs} onChange={(e) => setSaveAs(e.target.value)} placeholder={t("templates.newName")} aria-label={t("templates.newName")} />
        <button data-testid="template-save-as" disabled={!saveAs.trim() || problem !== null} onClick={() => saveTemplate(saveAs.trim())}>{t("templates.saveAs")}</button>
        {status && <span className="ok" role="status" data-testid="template-status">{status}</span>}
        <label>{t("templates.customer")} <input data-testid="template-customer" type="number" min={1} value={customer} onChange={(e) => setCustomer(Number(e.target.value) || 1)} /></label>
        <button className={width === 800 ? "active" : ""} onClick={() => setWidth(800)}>{t("templates.desktop")}</button>
        <button className={width === 390 ? "active" : ""} onClick={() => setWidth(390)}>{t("templates.mobile")}</button>
        {latency !== null && <span className="muted" data-testid="preview-latency">{t("templates.latency", { ms: latency.toFixed(0) })}</span>}
      </div>
      <div className="editor-split">
        <CodeEditor
          value={source}
          label={t("templates.source")}
          errorAt={problem?.line ?? null}
          api={(api) => (editor.current = api)}
          onChange={(text) => {
            editedAt.current = performance.now();
            setSource(text);
          }}
        />
        <div className="preview-pane">
          <details className="fields" data-testid="merge-fields">
            <summary>{t("templates.fields", { count: fields.length })}</summary>
            <ul>
              {fields.map((f) => (
                <li key={f.name}>
                  <button className="link mono" onClick={() => insertField(f.name)}>{`{{${f.name}}}`}</button>{" "}
                  <span className="muted">{f.example}</span>
                </li>
              ))}
            </ul>
          </details>
          <details className="fields" data-testid="missing-report">
            <summary>{t("templates.missingTitle")}</summary>
            <div className="toolbar">
              <select value={useSegment ? "segment" : "everyone"} onChange={(e) => setUseSegment(e.target.value === "segment")} aria-label={t("campaigns.audience")}>
                <option value="everyone">{t("campaigns.everyone")}</option>
                <option value="segment" disabled={!hasSegment}>{t("campaigns.segment")}</option>
              </select>
              <button data-testid="missing-check" disabled={checking || problem !== null} onClick={checkMissing}>{t("templates.missingCheck")}</button>
            </div>
            {missing && missing.missing.length === 0 && <p className="ok">{t("templates.missingNone", { count: missing.customers })}</p>}
            {missing && missing.missing.length > 0 && (
              <table className="rejections">
                <thead><tr><th>{t("templates.field")}</th><th>{t("templates.where")}</th><th>{t("templates.affected")}</th></tr></thead>
                <tbody>
                  {missing.missing.map((m) => (
                    <tr key={`${m.field}:${m.line}:${m.column}`} data-testid="missing-row">
                      <td className="mono">{m.field}</td>
                      <td>{t("templates.errorAt", { line: m.line, column: m.column })}</td>
                      <td>{t("templates.affectedOf", { count: m.customers, of: m.of })}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </details>
          {problem && (
            <p className="error" role="alert" data-testid="template-error">
              {problem.line !== null && <b>{t("templates.errorAt", { line: problem.line, column: problem.column })}: </b>}
              {problem.message}
            </p>
          )}
          {email && <EmailFrame email={email} width={width} />}
        </div>
      </div>
    </section>
  );
}
