import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { ServeStatus } from "../../lib/bindings";
import { backend } from "../../lib/backend";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { useNumber } from "../../lib/numbers";

/** How often the counts are read while a site is served. */
const POLL_MS = 1000;

/**
 * Serve a rendered campaign's personal sites from this computer: start and stop, the address,
 * and the visits, clicks and form submissions as they arrive (each becomes the customer's event
 * in the open workspace). One site is served at a time; the app keeps serving while the user
 * works on other screens.
 */
export function ServePanel({ folder }: { folder: string }) {
  const { t } = useTranslation();
  const number = useNumber();
  const [status, setStatus] = useState<ServeStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let current = true;
    const read = () => backend.siteServeStatus().then((s) => current && setStatus(s), () => {});
    read();
    const timer = setInterval(read, POLL_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, []);

  async function act(action: () => Promise<ServeStatus | null>) {
    setBusy(true);
    setError(null);
    try {
      setStatus(await action());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const start = () => act(() => backend.siteServeStart(folder));
  const stop = () => act(() => backend.siteServeStop().then(() => null));
  const here = status !== null && status.folder === folder;

  return (
    <section className="panel serve" data-testid="serve-panel" aria-label={t("serve.title")}>
      <h3>{t("serve.title")}</h3>
      {!here && (
        <>
          <p className="muted">{status ? t("serve.other", { folder: status.folder }) : t("serve.hint")}</p>
          <button data-testid="serve-start" className="primary" disabled={busy} onClick={start}>{t("serve.start")}</button>
        </>
      )}
      {here && (
        <>
          <p className="ok" role="status" data-testid="serve-running">{t("serve.running")}</p>
          <label>{t("serve.address")}
            <input readOnly className="grow mono" data-testid="serve-address" value={status.address} onFocus={(e) => e.target.select()} />
          </label>
          <p className="muted">{t("serve.addressHint")}</p>
          <table data-testid="serve-counts">
            <tbody>
              <tr><th scope="row">{t("serve.visits")}</th><td className="mono" data-testid="serve-visits">{number(status.counts.visits)}</td></tr>
              <tr><th scope="row">{t("serve.clicks")}</th><td className="mono" data-testid="serve-clicks">{number(status.counts.clicks)}</td></tr>
              <tr><th scope="row">{t("serve.submissions")}</th><td className="mono" data-testid="serve-submissions">{number(status.counts.submissions)}</td></tr>
              <tr><th scope="row">{t("serve.videoEvents")}</th><td className="mono" data-testid="serve-video-events">{number(status.counts.video_events)}</td></tr>
              <tr><th scope="row">{t("serve.refused")}</th><td className="mono">{number(status.counts.refused)}</td></tr>
            </tbody>
          </table>
          <p className="muted">{t("serve.countsHint")}</p>
          {status.counts.unrecorded > 0 && (
            <p className="error" role="alert" data-testid="serve-unrecorded">{t("serve.unrecorded", { count: status.counts.unrecorded })}</p>
          )}
          <button data-testid="serve-stop" disabled={busy} onClick={stop}>{t("serve.stop")}</button>
        </>
      )}
      {error !== null && <ErrorMessage error={error} testId="serve-error" />}
    </section>
  );
}
