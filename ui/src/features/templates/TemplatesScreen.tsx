import { useEffect, useRef, useState, type Dispatch, type SetStateAction } from "react";
import { useTranslation } from "react-i18next";
import type { CustomerRow, EmailPreview, Rule } from "../../lib/bindings";
import { useTemplate } from "./useTemplate";
import { backend, BackendError, isTemplateError } from "../../lib/backend";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { PreviewFrame } from "../preview/PreviewFrame";
import { CustomerPicker } from "../preview/CustomerPicker";
import { CodeEditor, type CodeEditorApi } from "./CodeEditor";
import { MergeFieldList, MissingFieldsCheck } from "./TemplateChecks";
import { SiteEditor } from "./SiteEditor";
import { StoryboardEditor } from "./StoryboardEditor";
import { useLivePreview } from "./livePreview";
import type { Drafts, TemplateSession } from "./drafts";

/**
 * Edit a template beside the live preview for one customer — an email's MJML + Handlebars, or a
 * microsite's pages, layout, partials, styles and assets —; save it; check which merge fields
 * would be empty for the customers of a segment. What is picked and edited lives in the app
 * (`session`), so nothing is lost by leaving the screen.
 */
export function TemplatesScreen({ segment, session, onSession }: { segment: Rule; session: TemplateSession; onSession: Dispatch<SetStateAction<TemplateSession>> }) {
  const { t } = useTranslation();
  const update = (patch: Partial<TemplateSession>) => onSession((s) => ({ ...s, ...patch }));
  const { templates, name, setName, source, setSource, kind, loaded, dirty, save } = useTemplate({
    name: session.name,
    setName: (n) => update({ name: n }),
    drafts: session.drafts,
    setDrafts: (f: (d: Drafts) => Drafts) => onSession((s) => ({ ...s, drafts: f(s.drafts) })),
    kinds: ["email", "microsite", "storyboard"],
  });
  const [saveAs, setSaveAs] = useState("");
  // The name last saved under, worded when shown (so it follows a change of language).
  const [status, setStatus] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  // The template's compile or render error (with its line and, for a site, its file), or null.
  const [problem, setProblem] = useState<unknown>(null);
  const customer = session.customer;

  useEffect(() => {
    // The first customer until the user picks one.
    if (!session.customer) {
      backend.customersPage({ search: "", sort: "id", descending: false, offset: 0, limit: 1 }).then(
        (p) => p.rows[0] && onSession((s) => (s.customer ? s : { ...s, customer: p.rows[0] })),
        () => {},
      );
    }
  }, []); // eslint-disable-line react-hooks/exhaustive-deps -- once, on opening the screen
  useEffect(() => setProblem(null), [name]);

  async function saveTemplate(as: string) {
    setStatus(null);
    setSaveError(null);
    try {
      await save(as);
      setSaveAs("");
      setStatus(as);
    } catch (e) {
      if (isTemplateError(e)) setProblem(e);
      else setSaveError(e);
    }
  }

  const byKind = (k: string) => templates.filter((tpl) => tpl.kind === k);
  const option = (tplName: string) => (
    <option key={tplName} value={tplName}>
      {tplName in session.drafts ? `${tplName} (${t("templates.unsaved")})` : tplName}
    </option>
  );
  return (
    <section className="templates">
      <h1>{t("templates.title")}</h1>
      <div className="toolbar">
        <select data-testid="template-select" aria-label={t("templates.template")} value={name} onChange={(e) => (setStatus(null), setName(e.target.value))}>
          <optgroup label={t("templates.emails")}>{byKind("email").map((tpl) => option(tpl.name))}</optgroup>
          {byKind("microsite").length > 0 && <optgroup label={t("templates.sites")}>{byKind("microsite").map((tpl) => option(tpl.name))}</optgroup>}
          {byKind("storyboard").length > 0 && <optgroup label={t("templates.storyboards")}>{byKind("storyboard").map((tpl) => option(tpl.name))}</optgroup>}
        </select>
        {dirty && <span className="warn unsaved" data-testid="template-unsaved">{t("templates.unsaved")}</span>}
        <button data-testid="template-save" disabled={!dirty || problem !== null} onClick={() => saveTemplate(name)}>{dirty ? t("templates.save") : t("templates.unchanged")}</button>
        <input data-testid="template-save-name" value={saveAs} onChange={(e) => setSaveAs(e.target.value)} placeholder={t("templates.newName")} aria-label={t("templates.newName")} />
        <button data-testid="template-save-as" disabled={!saveAs.trim() || problem !== null || !loaded} onClick={() => saveTemplate(saveAs.trim())}>{t("templates.saveAs")}</button>
        {status !== null && <span className="ok" role="status" data-testid="template-status">{t("templates.saved", { name: status })}</span>}
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
        <button data-testid="template-desktop" aria-pressed={!session.mobile} className={!session.mobile ? "active" : ""} onClick={() => update({ mobile: false })}>{t("templates.desktop")}</button>
        <button data-testid="template-mobile" aria-pressed={session.mobile} className={session.mobile ? "active" : ""} onClick={() => update({ mobile: true })}>{t("templates.mobile")}</button>
      </div>
      {saveError !== null && <ErrorMessage error={saveError} testId="template-save-error" />}
      {kind === "storyboard" ? (
        <StoryboardEditor name={name} source={source} setSource={setSource} customer={customer} segment={segment} session={session} update={update} problem={problem} setProblem={setProblem} />
      ) : kind === "microsite" ? (
        <SiteEditor name={name} source={source} setSource={setSource} customer={customer} segment={segment} session={session} update={update} problem={problem} setProblem={setProblem} />
      ) : (
        <EmailEditor source={source} setSource={setSource} customer={customer} segment={segment} session={session} update={update} problem={problem} setProblem={setProblem} />
      )}
    </section>
  );
}

/** What each kind's editor gets from the screen. */
export type EditorProps = {
  source: string;
  setSource: (text: string) => void;
  customer: CustomerRow | null;
  segment: Rule;
  session: TemplateSession;
  update: (patch: Partial<TemplateSession>) => void;
  problem: unknown;
  setProblem: (problem: unknown) => void;
};

/** An email's MJML source beside its preview. */
function EmailEditor({ source, setSource, customer, segment, session, update, problem, setProblem }: EditorProps) {
  const { t } = useTranslation();
  const [email, setEmail] = useState<EmailPreview | null>(null);
  const editor = useRef<CodeEditorApi | null>(null);
  const problemLine = problem instanceof BackendError ? problem.detail.line : null;

  // Compile + merge for one customer is ~2 ms: every keystroke shows.
  useLivePreview(
    source && customer ? () => backend.emailPreview(source, customer.id) : null,
    [source, customer],
    (e) => {
      setEmail(e);
      setProblem(null);
    },
    setProblem,
  );

  return (
    <div className="editor-split">
      <CodeEditor value={source} label={t("templates.source")} errorAt={problemLine} api={(api) => (editor.current = api)} onChange={setSource} />
      <div className="preview-pane">
        <MergeFieldList customer={customer} onInsert={(field) => editor.current?.insert(`{{${field}}}`)} />
        <MissingFieldsCheck
          segment={segment}
          audience={session.audience}
          onAudience={(audience) => update({ audience })}
          check={(rule) => backend.templateMissingFields(source, rule)}
          disabled={problem !== null}
          onTemplateError={setProblem}
        />
        {problem !== null && <ErrorMessage error={problem} testId="template-error" />}
        {email?.not_sent && <p className="warn not-sent" data-testid="preview-not-sent">{t(`preview.notSent.${email.not_sent}`)}</p>}
        {email && <PreviewFrame email={email} mobile={session.mobile} stale={problem !== null} />}
      </div>
    </div>
  );
}
