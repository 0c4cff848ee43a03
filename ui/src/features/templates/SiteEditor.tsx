import { useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { SitePreview } from "../../lib/bindings";
import { backend, BackendError } from "../../lib/backend";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { formatKilobytes } from "../../lib/numbers";
import { PreviewFrame } from "../preview/PreviewFrame";
import { CodeEditor, languageOf, type CodeEditorApi } from "./CodeEditor";
import { MergeFieldList, MissingFieldsCheck } from "./TemplateChecks";
import { useLivePreview } from "./livePreview";
import { assetFiles, bundleText, fileText, freeAssetPath, parseBundle, sourceFiles, withFile, withoutFile } from "./siteBundle";
import type { EditorProps } from "./TemplatesScreen";

/**
 * A microsite template: its files (pages, layout, partials, styles, manifest) to edit one at a
 * time, its assets to add or remove, and any page previewed live as the chosen customer, at
 * desktop or mobile width, in the sandboxed frame. The whole site is the draft.
 */
export function SiteEditor({ name, source, setSource, customer, segment, session, update, problem, setProblem }: EditorProps & { name: string }) {
  const { t, i18n } = useTranslation();
  const bundle = useMemo(() => parseBundle(source), [source]);
  const files = useMemo(() => (bundle ? sourceFiles(bundle) : []), [bundle]);
  const assets = useMemo(() => (bundle ? assetFiles(bundle) : []), [bundle]);
  const [preview, setPreview] = useState<SitePreview | null>(null);
  const [assetError, setAssetError] = useState<unknown>(null);
  const editor = useRef<CodeEditorApi | null>(null);
  const shown = files.some((f) => f.path === session.siteFile) ? session.siteFile : files[0]?.path ?? "";
  const text = bundle && shown ? fileText(bundle, shown) ?? "" : "";
  const detail = problem instanceof BackendError ? problem.detail : null;
  const problemFile = detail?.file ?? null;

  // The site is compiled with its images at their own size: a few milliseconds a keystroke.
  useLivePreview(
    bundle && customer ? () => backend.sitePreview(name, source, session.sitePage, customer.id) : null,
    [source, customer, session.sitePage, name],
    (p) => {
      setPreview(p);
      setProblem(null);
    },
    setProblem,
  );

  if (!bundle) return <p className="muted">{t("sites.loading")}</p>;

  const edit = (path: string, next: string) => setSource(bundleText(withFile(bundle, path, { text: next })));
  async function addAsset() {
    setAssetError(null);
    try {
      const picked = await backend.filePick({ kind: "open", title: t("sites.assetTitle"), filter: { name: t("sites.assetFilter"), extensions: ["png", "jpg", "jpeg", "webp", "gif", "svg", "css", "woff", "woff2"] }, file_name: null });
      if (picked === null) return;
      const asset = await backend.siteAssetRead(picked);
      const file = asset.text !== null ? { text: asset.text } : { base64: asset.base64 ?? "" };
      setSource(bundleText(withFile(bundle!, freeAssetPath(bundle!, asset.name), file)));
    } catch (e) {
      setAssetError(e);
    }
  }
  const kindLabel = (kind: string) => t(`sites.kind.${kind}`);
  const page = preview?.pages.find((p) => p.file === preview.page);

  return (
    <div className="site-editor">
      <nav className="site-files" aria-label={t("sites.files")}>
        <h2>{t("sites.files")}</h2>
        <ul data-testid="site-files">
          {files.map((f) => (
            <li key={f.path}>
              <button
                className={f.path === shown ? "link active" : "link"}
                aria-current={f.path === shown ? "true" : undefined}
                data-testid="site-file"
                data-file={f.path}
                onClick={() => update({ siteFile: f.path, ...(f.kind === "page" ? { sitePage: f.path } : {}) })}
              >
                <span className="mono">{f.path}</span>
              </button>
              <span className="muted"> {f.title ?? kindLabel(f.kind)}</span>
              {problemFile === f.path && <span className="file-error" data-testid="site-file-error"> ⚠ {t("sites.hasError")}</span>}
            </li>
          ))}
        </ul>
        <h2>{t("sites.assets")}</h2>
        <ul data-testid="site-assets">
          {assets.map((a) => (
            <li key={a.path}>
              <span className="mono">{a.path}</span> <span className="muted">{formatKilobytes(a.bytes, i18n.language)}</span>{" "}
              <button className="remove" aria-label={t("sites.removeAsset", { file: a.path })} onClick={() => setSource(bundleText(withoutFile(bundle, a.path)))}>{t("segments.remove")}</button>
            </li>
          ))}
        </ul>
        <button data-testid="site-add-asset" onClick={addAsset}>{t("sites.addAsset")}</button>
        {assetError !== null && <ErrorMessage error={assetError} testId="site-asset-error" />}
      </nav>
      <CodeEditor
        value={text}
        language={languageOf(shown)}
        label={t("sites.source", { file: shown })}
        errorAt={problemFile === shown ? detail?.line ?? null : null}
        api={(api) => (editor.current = api)}
        onChange={(next) => edit(shown, next)}
      />
      <div className="preview-pane">
        <div className="toolbar">
          <label>{t("sites.page")}{" "}
            <select data-testid="site-page" value={preview?.page ?? ""} onChange={(e) => update({ sitePage: e.target.value })}>
              {(preview?.pages ?? []).map((p) => <option key={p.file} value={p.file}>{p.title} ({p.file})</option>)}
            </select>
          </label>
        </div>
        <MergeFieldList customer={customer} onInsert={(field) => editor.current?.insert(`{{${field}}}`)} />
        <MissingFieldsCheck
          segment={segment}
          audience={session.audience}
          onAudience={(audience) => update({ audience })}
          check={(rule) => backend.siteMissingFieldsCheck(name, source, rule)}
          disabled={problem !== null}
          onTemplateError={setProblem}
        />
        {problem !== null && <ErrorMessage error={problem} testId="template-error" />}
        {problemFile && problemFile !== shown && files.some((f) => f.path === problemFile) && (
          <button className="link" data-testid="site-show-error" onClick={() => update({ siteFile: problemFile })}>{t("sites.showError", { file: problemFile })}</button>
        )}
        {preview && preview.missing.length > 0 && (
          <p className="warn" data-testid="site-missing-here">{t("sites.emptyHere", { fields: preview.missing.join(t("sites.listSeparator")) })}</p>
        )}
        {preview && <PreviewFrame email={{ subject: page?.title ?? "", html: preview.html }} mobile={session.mobile} testId="site-frame" captionTestId="site-title" stale={problem !== null} />}
      </div>
    </div>
  );
}
