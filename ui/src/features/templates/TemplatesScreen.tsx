import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { MergeField, RenderedEmail } from "../../lib/bindings";
import { useTemplate } from "./useTemplate";
import { backend, BackendError, errorText } from "../../lib/backend";
import { EmailFrame } from "../preview/EmailFrame";

/** Edit a template's MJML + Handlebars source beside the live preview for one customer. */
export function TemplatesScreen() {
  const { t } = useTranslation();
  const { templates, name, setName, source, setSource } = useTemplate();
  const [customer, setCustomer] = useState(1);
  const [width, setWidth] = useState(800);
  const [email, setEmail] = useState<RenderedEmail | null>(null);
  // Keystroke to updated preview, shown so slow templates are noticed.
  const editedAt = useRef<number | null>(null);
  const [latency, setLatency] = useState<number | null>(null);
  const [fields, setFields] = useState<MergeField[]>([]);
  const textarea = useRef<HTMLTextAreaElement>(null);
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
        (e) => {
          if (!current) return;
          const d = e instanceof BackendError ? e.detail : null;
          setProblem({ message: errorText(e), line: d?.line ?? null, column: d?.column ?? null });
        },
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
    const area = textarea.current;
    const at = area?.selectionStart ?? source.length;
    const tag = `{{${name}}}`;
    editedAt.current = performance.now();
    setSource(source.slice(0, at) + tag + source.slice(area?.selectionEnd ?? at));
    requestAnimationFrame(() => area?.setSelectionRange(at + tag.length, at + tag.length));
  }

  // Measured once the new preview is committed to the page.
  useEffect(() => {
    if (editedAt.current === null) return;
    setLatency(performance.now() - editedAt.current);
    editedAt.current = null;
  }, [email]);

  const lines = useMemo(() => source.split("\n").length, [source]);
  return (
    <section className="templates">
      <h1>{t("templates.title")}</h1>
      <div className="toolbar">
        <select data-testid="template-select" value={name} onChange={(e) => setName(e.target.value)}>
          {templates.map((tpl) => <option key={tpl.name}>{tpl.name}</option>)}
        </select>
        <label>{t("templates.customer")} <input data-testid="template-customer" type="number" min={1} value={customer} onChange={(e) => setCustomer(Number(e.target.value) || 1)} /></label>
        <button className={width === 800 ? "active" : ""} onClick={() => setWidth(800)}>{t("templates.desktop")}</button>
        <button className={width === 390 ? "active" : ""} onClick={() => setWidth(390)}>{t("templates.mobile")}</button>
        {latency !== null && <span className="muted" data-testid="preview-latency">{t("templates.latency", { ms: latency.toFixed(0) })}</span>}
      </div>
      <div className="editor-split">
        <div className="code">
          <pre className="gutter" aria-hidden="true">
            {Array.from({ length: lines }, (_, i) => (
              <span key={i} className={problem?.line === i + 1 ? "error-line" : undefined}>{i + 1}{"\n"}</span>
            ))}
          </pre>
          <textarea
            ref={textarea}
            data-testid="template-source"
            spellCheck={false}
            rows={lines + 1}
            value={source}
            onChange={(e) => {
              editedAt.current = performance.now();
              setSource(e.target.value);
            }}
          />
        </div>
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
