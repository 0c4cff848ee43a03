import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNumber } from "../../lib/numbers";
import { ErrorMessage } from "../../lib/ErrorMessage";
import type { WorkspaceStatus } from "../../lib/bindings";
import { backend } from "../../lib/backend";
import { recentWorkspaces, rememberWorkspace } from "./recent";

type Props = {
  status: WorkspaceStatus | null;
  /** The workspace being opened, if any: one at a time. */
  opening: Promise<WorkspaceStatus> | null;
  onOpening: (p: Promise<WorkspaceStatus> | null) => void;
  onOpened: (s: WorkspaceStatus) => void;
};

export function WorkspaceScreen({ status, opening, onOpening, onOpened }: Props) {
  const { t } = useTranslation();
  const number = useNumber();
  const [error, setError] = useState<unknown>(null);
  const [recent, setRecent] = useState(() => recentWorkspaces(localStorage));
  const busy = opening !== null;

  useEffect(() => {
    if (!opening) return;
    let current = true;
    setError(null);
    opening.then(
      (opened) => {
        if (!current) return;
        setRecent(rememberWorkspace(localStorage, opened.path));
        onOpened(opened);
        onOpening(null);
      },
      (e) => {
        if (!current) return;
        setError(e);
        onOpening(null);
      },
    );
    return () => {
      current = false;
    };
  }, [opening, onOpened, onOpening]);

  const run = (p: Promise<WorkspaceStatus>) => onOpening(p);

  async function pickFile() {
    try {
      const path = await backend.filePick({ kind: "open", title: t("workspace.openTitle"), filter: { name: t("workspace.fileType"), extensions: ["sqlite", "db"] }, file_name: null });
      if (path !== null) await run(backend.workspaceOpen(path));
    } catch (e) {
      setError(e);
    }
  }

  async function createFile() {
    try {
      const path = await backend.filePick({ kind: "save", title: t("workspace.createTitle"), filter: { name: t("workspace.fileType"), extensions: ["sqlite"] }, file_name: "workspace.sqlite" });
      if (path !== null) await run(backend.workspaceCreate(path));
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section>
      <h1>{t("workspace.title")}</h1>
      <div className="toolbar">
        <button data-testid="open-demo" className="primary" disabled={busy} onClick={() => run(backend.workspaceOpenDemo())}>
          {busy ? t("workspace.opening") : t("workspace.openDemo")}
        </button>
        <button data-testid="open-file" disabled={busy} onClick={pickFile}>{t("workspace.openFile")}</button>
        <button data-testid="create-file" disabled={busy} onClick={createFile}>{t("workspace.create")}</button>
      </div>
      {error !== null && <ErrorMessage error={error} />}
      {status ? (
        <dl className="stats" data-testid="workspace-status">
          <div><dt>{t("workspace.customers")}</dt><dd data-testid="customer-count">{number(status.customers)}</dd></div>
          <div><dt>{t("workspace.events")}</dt><dd>{number(status.events)}</dd></div>
          <div><dt>{t("workspace.templates")}</dt><dd>{status.templates}</dd></div>
          <div><dt>{t("workspace.optedOut")}</dt><dd>{number(status.email_opted_out)}</dd></div>
          <div className="wide"><dt>{t("workspace.path")}</dt><dd className="mono">{status.path}</dd></div>
        </dl>
      ) : (
        <p className="muted">{t("workspace.none")}</p>
      )}
      {recent.length > 0 && (
        <>
          <h2>{t("workspace.recent")}</h2>
          <ul className="recent">
            {recent.map((path) => (
              <li key={path}>
                <button className="link" disabled={busy} onClick={() => run(backend.workspaceOpen(path))}>{path}</button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
