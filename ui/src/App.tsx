import { useEffect, useState } from "react";
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

const SCREENS = ["workspace", "customers", "segments", "templates", "preview", "campaigns"] as const;
type Screen = (typeof SCREENS)[number];

export function App() {
  const { t, i18n } = useTranslation();
  const [screen, setScreen] = useState<Screen>("workspace");
  const [workspace, setWorkspace] = useState<WorkspaceStatus | null>(null);
  const [opening, setOpening] = useState<Promise<WorkspaceStatus> | null>(null);
  // The segment being built outlives switching screens; campaigns can target it.
  const [segment, setSegment] = useState<Rule>(emptyRule);

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
        {screen === "customers" && workspace && <CustomersScreen onImported={setWorkspace} />}
        {screen === "segments" && workspace && <SegmentsScreen workspace={workspace} rule={segment} onChange={setSegment} />}
        {screen === "templates" && workspace && <TemplatesScreen segment={segment} />}
        {screen === "preview" && workspace && <PreviewScreen total={workspace.customers} />}
        {screen === "campaigns" && workspace && <CampaignsScreen segment={segment} />}
      </main>
    </div>
  );
}
