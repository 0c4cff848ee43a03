import { useCallback, useEffect, useState, type Dispatch, type SetStateAction } from "react";
import { useTranslation } from "react-i18next";
import { setLanguage } from "./i18n";
import type { WorkspaceStatus } from "./lib/bindings";
import { WorkspaceScreen } from "./features/workspace/WorkspaceScreen";
import { CustomersScreen } from "./features/customers/CustomersScreen";
import { SegmentsScreen } from "./features/segments/SegmentsScreen";
import { TemplatesScreen } from "./features/templates/TemplatesScreen";
import { PreviewScreen } from "./features/preview/PreviewScreen";
import { backend } from "./lib/backend";
import { CampaignsScreen } from "./features/campaigns/CampaignsScreen";
import { emptyRule } from "./features/segments/ruleModel";
import type { Rule } from "./lib/bindings";
import { recentWorkspaces } from "./features/workspace/recent";
import { newTemplateSession, storeDrafts, storedDrafts, type TemplateSession } from "./features/templates/drafts";

/** The editor as it was left: the drafts kept on this computer, even after the window closed. */
const resumedTemplateSession = (path: string): TemplateSession => ({ ...newTemplateSession(), drafts: path ? storedDrafts(localStorage, path) : {} });
import { newPreviewSession, type PreviewSession } from "./features/preview/previewSession";

const SCREENS = ["workspace", "customers", "segments", "templates", "preview", "campaigns"] as const;
type Screen = (typeof SCREENS)[number];

/** A screen's state for each workspace opened in this session, and a setter for the open one's. */
function usePerWorkspace<T>(path: string, init: (path: string) => T): [Record<string, T>, Dispatch<SetStateAction<T>>] {
  const [all, setAll] = useState<Record<string, T>>({});
  const set = useCallback<Dispatch<SetStateAction<T>>>(
    (next) => setAll((a) => ({ ...a, [path]: typeof next === "function" ? (next as (prev: T) => T)(a[path] ?? init(path)) : next })),
    [path], // eslint-disable-line react-hooks/exhaustive-deps -- `init` is a constant
  );
  return [all, set];
}

export function App() {
  const { t, i18n } = useTranslation();
  const [screen, setScreen] = useState<Screen>("workspace");
  const [workspace, setWorkspace] = useState<WorkspaceStatus | null>(null);
  const [opening, setOpening] = useState<Promise<WorkspaceStatus> | null>(null);
  // The segment being built outlives switching screens; campaigns can target it.
  const [segment, setSegment] = useState<Rule>(emptyRule);
  const [segmentName, setSegmentName] = useState("");
  // The template editor's and the preview's choices, and every unsaved template edit, outlive
  // switching screens too; kept per workspace (two workspaces' templates may share a name, never a
  // draft). A page reload with unsaved edits asks first.
  const path = workspace?.path ?? "";
  const [templateSessions, setTemplateSession] = usePerWorkspace<TemplateSession>(path, resumedTemplateSession);
  const [previewSessions, setPreviewSession] = usePerWorkspace<PreviewSession>(path, newPreviewSession);
  const templateSession = templateSessions[path] ?? resumedTemplateSession(path);
  useEffect(() => {
    if (path) storeDrafts(localStorage, path, templateSession.drafts);
  }, [path, templateSession.drafts]);
  const previewSession = previewSessions[path] ?? newPreviewSession();
  const unsavedTemplates = Object.values(templateSessions).some((s) => Object.keys(s.drafts).length > 0);
  useEffect(() => {
    if (!unsavedTemplates) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [unsavedTemplates]);

  // On start, reopen the last workspace, or the demo the first time.
  useEffect(() => {
    const last = recentWorkspaces(localStorage)[0];
    setOpening(last ? backend.workspaceOpen(last) : backend.workspaceOpenDemo());
  }, []);
  return (
    <div className="app">
      <nav className="sidebar" aria-label="Tessera">
        <div className="brand">{t("app.name")}</div>
        {SCREENS.map((s) => (
          <button
            key={s}
            data-testid={`nav-${s}`}
            className={s === screen ? "nav active" : "nav"}
            aria-current={s === screen ? "page" : undefined}
            disabled={s !== "workspace" && !workspace}
            onClick={() => setScreen(s)}
          >
            {t(`nav.${s}`)}
          </button>
        ))}
        <label className="language">
          {t("app.language")}
          <select
            data-testid="language"
            value={i18n.language}
            onChange={(e) => setLanguage(e.target.value as "en" | "zh")}
          >
            <option value="en">English</option>
            <option value="zh">简体中文</option>
          </select>
        </label>
      </nav>
      <main className="content">
        {screen === "workspace" && <WorkspaceScreen status={workspace} opening={opening} onOpening={setOpening} onOpened={setWorkspace} />}
        {screen === "customers" && workspace && <CustomersScreen workspace={workspace} onImported={setWorkspace} />}
        {screen === "segments" && workspace && <SegmentsScreen workspace={workspace} rule={segment} onChange={setSegment} name={segmentName} onNameChange={setSegmentName} />}
        {screen === "templates" && workspace && <TemplatesScreen segment={segment} session={templateSession} onSession={setTemplateSession} />}
        {screen === "preview" && workspace && <PreviewScreen total={workspace.customers} session={previewSession} onSession={setPreviewSession} drafts={templateSession.drafts} />}
        {/* Kept while another screen is shown: the campaign being edited, its render and the site
            being served are still there on coming back (a new one per workspace). */}
        {workspace && (
          <div hidden={screen !== "campaigns"}>
            <CampaignsScreen key={workspace.path} segment={segment} active={screen === "campaigns"} />
          </div>
        )}
      </main>
    </div>
  );
}
