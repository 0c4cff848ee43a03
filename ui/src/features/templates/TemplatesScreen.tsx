import { useEffect, useRef, useState, type Dispatch, type SetStateAction } from "react";
import { useTranslation } from "react-i18next";
import { useNumber } from "../../lib/numbers";
import type { EmailPreview, MergeField, MissingReport, Rule, SavedSegment } from "../../lib/bindings";
import { useTemplate } from "./useTemplate";
import { backend, BackendError, errorCode } from "../../lib/backend";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { EmailFrame } from "../preview/EmailFrame";
import { CustomerPicker } from "../preview/CustomerPicker";
import { emptyRule } from "../segments/ruleModel";
import { CodeEditor, type CodeEditorApi } from "./CodeEditor";
import type { Drafts, TemplateSession } from "./drafts";

/**
 * Edit a template's MJML + Handlebars source beside the live preview for one customer; save it;
 * check which merge fields would be empty for the customers of a segment. What is picked and
 * edited lives in the app (`session`), so nothing is lost by leaving the screen.
 */
export function TemplatesScreen({ segment, session, onSession }: { segment: Rule; session: TemplateSession; onSession: Dispatch<SetStateAction<TemplateSession>> }) {
  const { t } = useTranslation();
  const update = (patch: Partial<TemplateSession>) => onSession((s) => ({ ...s, ...patch }));
  const { templates, name, setName, source, setSource, loaded, dirty, save } = useTemplate({
    name: session.name,
    setName: (n) => update({ name: n }),
    drafts: session.drafts,
    setDrafts: (f: (d: Drafts) => Drafts) => onSession((s) => ({ ...s, drafts: f(s.drafts) })),
  });
  const [saveAs, setSaveAs] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const hasSegment = (segment.conditions ?? []).length > 0;
  const [segments, setSegments] = useState<SavedSegment[]>([]);
  // The audience picked before, while it still exists (the built segment emptied, a saved one deleted).
  const stale = (session.audience === "built" && !hasSegment) || (session.audience.startsWith("saved:") && !segments.some((s) => `saved:${s.name}` === session.audience));
  const audience = session.audience && !stale ? session.audience : hasSegment ? "built" : "everyone";
  const [missing, setMissing] = useState<MissingReport | null>(null);
  const [checkError, setCheckError] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);
  const customer = session.customer;
  const [email, setEmail] = useState<EmailPreview | null>(null);
  const [fields, setFields] = useState<MergeField[]>([]);
  const editor = useRef<CodeEditorApi | null>(null);
  // The template's compile or render error (with its line), or null.
  const [problem, setProblem] = useState<unknown>(null);
  const problemLine = problem instanceof BackendError ? problem.detail.line : null;
  const number = useNumber();

  useEffect(() => {
    backend.segmentsList().then(setSegments, () => setSegments([]));
    // The first customer until the user picks one.
    if (!session.customer) {
      backend.customersPage({ search: "", sort: "id", descending: false, offset: 0, limit: 1 }).then(
        (p) => p.rows[0] && onSession((s) => (s.customer ? s : { ...s, customer: p.rows[0] })),
        () => {},
      );
    }
  }, []); // eslint-disable-line react-hooks/exhaustive-deps -- once, on opening the screen

  // Re-render on every edit (debounced a frame): compile + merge for one customer is ~2 ms.
  useEffect(() => {
    if (!source || !customer) return;
    let current = true;
    const timer = setTimeout(() => {
      backend.emailPreview(source, customer.id).then(
        (e) => {
          if (!current) return;
          setEmail(e);
          setProblem(null);
        },
        (e) => current && setProblem(e),
      );
    }, 16);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [source, customer]);

  useEffect(() => {
    if (customer) backend.mergeFields(customer.id).then(setFields, () => setFields([]));
  }, [customer]);

  /** Inserts `{{field}}` where the cursor is. */
  function insertField(name: string) {
    editor.current?.insert(`{{${name}}}`);
  }

  async function saveTemplate(as: string) {
    setStatus(null);
    setSaveError(null);
    try {
      await save(as);
      setSaveAs("");
      setStatus(t("templates.saved", { name: as }));
    } catch (e) {
      if (errorCode(e) === "template") setProblem(e);
      else setSaveError(e);
    }
  }

  async function checkMissing() {
    setChecking(true);
    setCheckError(null);
    try {
      const rule = audience === "built" ? segment : audience.startsWith("saved:") ? await backend.segmentLoad(audience.slice("saved:".length)) : emptyRule();
      setMissing(await backend.templateMissingFields(source, rule));
    } catch (e) {
      setMissing(null);
      if (errorCode(e) === "template") setProblem(e);
      else setCheckError(e);
    } finally {
      setChecking(false);
    }
  }

  return (
    <section className="templates">
      <h1>{t("templates.title")}</h1>
      <div className="toolbar">
        <select data-testid="template-select" aria-label={t("templates.template")} value={name} onChange={(e) => setName(e.target.value)}>
          {templates.map((tpl) => (
            <option key={tpl.name} value={tpl.name}>
              {tpl.name in session.drafts ? `${tpl.name} (${t("templates.unsaved")})` : tpl.name}
            </option>
          ))}
        </select>
        {dirty && <span className="warn unsaved" data-testid="template-unsaved">{t("templates.unsaved")}</span>}
        <button data-testid="template-save" disabled={!dirty || problem !== null} onClick={() => saveTemplate(name)}>{dirty ? t("templates.save") : t("templates.unchanged")}</button>
        <input data-testid="template-save-name" value={saveAs} onChange={(e) => setSaveAs(e.target.value)} placeholder={t("templates.newName")} aria-label={t("templates.newName")} />
        <button data-testid="template-save-as" disabled={!saveAs.trim() || problem !== null || !loaded} onClick={() => saveTemplate(saveAs.trim())}>{t("templates.saveAs")}</button>
        {status && <span className="ok" role="status" data-testid="template-status">{status}</span>}
      </div>
      <div className="toolbar">
        <CustomerPicker
          label={t("templates.customer")}
          chosen={customer}
          onPick={(c) => update({ customer: c })}
          inputTestId="template-customer"
          optionTestId="template-customer-found"
          chosenTestId="template-customer-name"
        />
        <button className={!session.mobile ? "active" : ""} onClick={() => update({ mobile: false })}>{t("templates.desktop")}</button>
        <button className={session.mobile ? "active" : ""} onClick={() => update({ mobile: true })}>{t("templates.mobile")}</button>
      </div>
      {saveError !== null && <ErrorMessage error={saveError} testId="template-save-error" />}
      <div className="editor-split">
        <CodeEditor
          value={source}
          label={t("templates.source")}
          errorAt={problemLine}
          api={(api) => (editor.current = api)}
          onChange={setSource}
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
              <select data-testid="missing-audience" value={audience} onChange={(e) => { update({ audience: e.target.value }); setMissing(null); }} aria-label={t("campaigns.audience")}>
                <option value="everyone">{t("campaigns.everyone")}</option>
                <option value="built" disabled={!hasSegment}>{t("campaigns.segment")}</option>
                {segments.length > 0 && (
                  <optgroup label={t("templates.savedSegments")}>
                    {segments.map((s) => <option key={s.name} value={`saved:${s.name}`}>{s.name}</option>)}
                  </optgroup>
                )}
              </select>
              <button data-testid="missing-check" disabled={checking || problem !== null} onClick={checkMissing}>{t("templates.missingCheck")}</button>
            </div>
            {checkError !== null && <ErrorMessage error={checkError} testId="missing-error" />}
            {missing && missing.missing.length === 0 && <p className="ok">{t("templates.missingNone", { count: number(missing.customers) })}</p>}
            {missing && missing.missing.length > 0 && (
              <table className="rejections">
                <thead><tr><th>{t("templates.field")}</th><th>{t("templates.where")}</th><th>{t("templates.affected")}</th></tr></thead>
                <tbody>
                  {missing.missing.map((m) => (
                    <tr key={`${m.field}:${m.line}:${m.column}`} data-testid="missing-row">
                      <td className="mono">{m.field}</td>
                      <td>{t("templates.errorAt", { line: m.line, column: m.column })}</td>
                      <td>{t("templates.affectedOf", { count: number(m.customers), of: number(m.of) })}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </details>
          {problem !== null && <ErrorMessage error={problem} testId="template-error" />}
          {email?.not_sent && (
            <p className="warn not-sent" data-testid="preview-not-sent">{t(`preview.notSent.${email.not_sent}`)}</p>
          )}
          {email && <EmailFrame email={email} mobile={session.mobile} />}
        </div>
      </div>
    </section>
  );
}
