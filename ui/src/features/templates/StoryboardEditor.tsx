import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { FramePreview, Problem } from "../../lib/bindings";
import { backend, BackendError } from "../../lib/backend";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { CodeEditor, type CodeEditorApi } from "./CodeEditor";
import { MergeFieldList } from "./TemplateChecks";
import { useLivePreview } from "./livePreview";
import { bundleText, fileText, parseBundle, withFile } from "./siteBundle";
import type { EditorProps } from "./TemplatesScreen";
import { customerLabel } from "../preview/CustomerPicker";
import { SceneGraph } from "./SceneGraph";
import { LayerProperties } from "./LayerProperties";
import { documentText, layerOutline, parseDocument, withLayer, type LayerDoc } from "./storyboardModel";
import { useStableCallback } from "../../lib/useStableCallback";

const DOCUMENT = "storyboard.json";

/**
 * A video storyboard: its document (JSON, checked against the published schema by the engine)
 * beside a live frame of any scene at any time, drawn for the chosen customer, what the check
 * finds (each by scene and layer), the scenes as a graph, the shown scene's layers with their
 * properties, and the customer's interactive player, played in a sandboxed frame.
 */
export function StoryboardEditor({ name, source, setSource, customer, session, update, problem, setProblem }: EditorProps & { name: string }) {
  const { t, i18n } = useTranslation();
  const bundle = useMemo(() => parseBundle(source), [source]);
  const text = bundle ? fileText(bundle, DOCUMENT) ?? "" : "";
  const [preview, setPreview] = useState<FramePreview | null>(null);
  const editor = useRef<CodeEditorApi | null>(null);
  const problemLine = problem instanceof BackendError ? problem.detail.line : null;
  const doc = useMemo(() => parseDocument(text), [text]);
  const [layer, setLayer] = useState("");
  // The player as last played (its page's URL and the source it was played from), while rendering, or why it could not be.
  const [player, setPlayer] = useState<{ url: string; source: string; who: string } | null>(null);
  const [rendering, setRendering] = useState(false);
  const [playError, setPlayError] = useState<unknown>(null);
  const shown = preview?.scene ?? session.storyboardScene;
  useEffect(() => setLayer(""), [shown, name]);
  useEffect(() => setPlayer(null), [name]);

  useLivePreview(
    bundle && customer ? () => backend.storyboardPreview(name, source, session.storyboardScene, session.storyboardTime, customer.id) : null,
    [source, customer, session.storyboardScene, session.storyboardTime, name],
    (p) => {
      setPreview(p);
      setProblem(null);
    },
    setProblem,
  );

  const sceneDoc = doc?.scenes.find((s) => s.id === shown) ?? null;
  // Stable, so that a new frame renders the frame alone, not the editors beside it.
  const editDocument = useStableCallback((next: string) => bundle && setSource(bundleText(withFile(bundle, DOCUMENT, { text: next }))));
  const editLayer = useStableCallback((next: LayerDoc) => doc && sceneDoc && editDocument(documentText(withLayer(doc, sceneDoc.id, layer, () => next))));
  const showScene = useStableCallback((id: string) => update({ storyboardScene: id, storyboardTime: null }));
  const insertField = useCallback((field: string) => editor.current?.insert(`{{${field}}}`), []);
  const editorApi = useCallback((api: CodeEditorApi) => (editor.current = api), []);

  if (!bundle) return <p className="muted">{t("sites.loading")}</p>;
  const scene = preview?.scenes.find((s) => s.id === preview.scene);
  const layerDoc = sceneDoc?.layers?.find((l) => l.id === layer) ?? null;
  async function play() {
    if (!customer) return;
    setRendering(true);
    setPlayError(null);
    try {
      const url = await backend.storyboardPlay(name, source, customer.id);
      setPlayer({ url, source, who: customerLabel(customer) });
    } catch (e) {
      setPlayError(e);
    } finally {
      setRendering(false);
    }
  }
  const step = preview ? 1 / preview.frames_per_second : 1 / 30;
  const seconds = (s: number | null) => t("storyboards.seconds", { value: (s ?? 0).toLocaleString(i18n.language, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) });
  const where = (p: Problem) =>
    p.scene && p.layer ? t("storyboards.inLayer", { scene: p.scene, layer: p.layer }) : p.scene ? t("storyboards.inScene", { scene: p.scene }) : "";

  return (
    <div className="editor-split">
      <CodeEditor
        value={text}
        language="json"
        label={t("storyboards.source")}
        errorAt={problemLine}
        api={editorApi}
        onChange={editDocument}
      />
      <div className="preview-pane storyboard-pane">
        <div className="toolbar">
          <label>{t("storyboards.scene")}{" "}
            <select data-testid="storyboard-scene" value={preview?.scene ?? ""} onChange={(e) => showScene(e.target.value)}>
              {(preview?.scenes ?? []).map((s) => <option key={s.id} value={s.id}>{s.id} ({seconds(s.duration)})</option>)}
            </select>
          </label>
          <label className="grow">{t("storyboards.time")}{" "}
            <input
              type="range"
              data-testid="storyboard-time"
              min={0}
              max={scene ? Math.max((scene.duration ?? 0) - step, 0) : 0}
              step={step}
              value={preview?.time ?? 0}
              onChange={(e) => update({ storyboardTime: Number(e.target.value) })}
            />
          </label>
          <span className="mono" data-testid="storyboard-at">{seconds(preview?.time ?? 0)}</span>
          <button data-testid="storyboard-play" disabled={!customer || rendering || !preview?.frame} onClick={play}>
            {customer ? t("storyboards.play", { name: customerLabel(customer) }) : t("storyboards.playNoCustomer")}
          </button>
        </div>
        {rendering && customer && (
          <p role="status" data-testid="storyboard-rendering"><progress /> {t("storyboards.rendering", { name: customerLabel(customer) })}</p>
        )}
        {playError !== null && <ErrorMessage error={playError} testId="storyboard-play-error" />}
        <MergeFieldList customer={customer} onInsert={insertField} />
        {problem !== null && <ErrorMessage error={problem} testId="template-error" />}
        {preview && preview.errors.length > 0 && (
          <div className="error" role="alert" data-testid="storyboard-errors">
            <p>{t("storyboards.errors")}</p>
            <ul>{preview.errors.map((p, i) => <li key={i}><b>{where(p)}</b> <span className="mono">{p.message}</span></li>)}</ul>
          </div>
        )}
        {preview && preview.warnings.length > 0 && (
          <ul className="warn" data-testid="storyboard-warnings">
            {preview.warnings.map((p, i) => <li key={i}><b>{where(p)}</b> {p.message}</li>)}
          </ul>
        )}
        {player ? (
          <figure className="storyboard-player">
            <figcaption>
              {t("storyboards.playerOf", { name: player.who })} <button className="link" data-testid="storyboard-player-close" onClick={() => setPlayer(null)}>{t("storyboards.closePlayer")}</button>
              <span className="muted">{t("storyboards.playerHint")}</span>
              {player.source !== source && <span className="warn" data-testid="storyboard-player-stale">{t("storyboards.playerStale")}</span>}
            </figcaption>
            {/* Scripts only: no same-origin (the app and its commands are out of reach), no forms, no popups. */}
            <iframe sandbox="allow-scripts" src={player.url} title={t("storyboards.playerOf", { name: player.who })} data-testid="storyboard-player" />
          </figure>
        ) : (
          preview?.frame && (
            <div className="storyboard-stage">
              <img className="storyboard-frame" data-testid="storyboard-frame" alt={t("storyboards.frameOf", { scene: preview.scene, at: seconds(preview.time) })} src={preview.frame} />
              {layerDoc && doc && <div className="layer-outline" data-testid="layer-outline" aria-hidden="true" style={Object.fromEntries(Object.entries(layerOutline(layerDoc, doc.canvas)).map(([k, v]) => [k, `${v}%`]))} />}
            </div>
          )
        )}
        <div className="storyboard-below">
          {doc && <SceneGraph doc={doc} selected={shown} onSelect={showScene} />}
          {doc && sceneDoc && (
            <LayerProperties
              doc={doc}
              scene={sceneDoc}
              layer={layer}
              onPick={setLayer}
              onChange={editLayer}
            />
          )}
        </div>
      </div>
    </div>
  );
}
