import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Channel } from "@tauri-apps/api/core";
import type { Security, SendProgress, SendRecord, SendReport, SmtpSettings, TestSend } from "../../lib/bindings";
import { backend } from "../../lib/backend";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { useNumber } from "../../lib/numbers";

/** Where the mail server's settings are kept between sessions (never the password: that is in
 * the system's keyring). */
const SETTINGS_KEY = "tessera.smtp";

type Form = { host: string; port: string; security: Security | "auto"; user: string; dkimDomain: string; dkimSelector: string; dkimKeyFile: string };

const EMPTY: Form = { host: "", port: "587", security: "auto", user: "", dkimDomain: "", dkimSelector: "", dkimKeyFile: "" };

function loadForm(): Form {
  try {
    const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? "null");
    if (saved && typeof saved.host === "string") return { ...EMPTY, ...saved, port: String(saved.port ?? "587") };
  } catch {
    // Unreadable settings: start from the defaults.
  }
  return EMPTY;
}

/** What is wrong with the server's settings, field by field (before anything is asked of it). */
export function settingsProblems(form: Form): Partial<Record<"host" | "port" | "dkim", string>> {
  const problems: Partial<Record<"host" | "port" | "dkim", string>> = {};
  if (!form.host.trim()) problems.host = "send.hostMissing";
  else if (/[\s/?#@]/.test(form.host.trim())) problems.host = "send.hostInvalid";
  const port = Number(form.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.port = "send.portInvalid";
  const dkim = [form.dkimDomain, form.dkimSelector, form.dkimKeyFile].map((v) => v.trim() !== "");
  if (dkim.some(Boolean) && !dkim.every(Boolean)) problems.dkim = "send.dkimIncomplete";
  return problems;
}

function settingsOf(form: Form): SmtpSettings {
  return {
    host: form.host.trim(), port: Number(form.port), security: form.security === "auto" ? null : form.security, user: form.user.trim(),
    dkim_domain: form.dkimDomain.trim(), dkim_selector: form.dkimSelector.trim(), dkim_key_file: form.dkimKeyFile.trim(),
  };
}

/**
 * The Send step of a rendered campaign: the mail server (its password kept in the system's
 * keyring), a connection test, a test message to the user's own address, then the send with
 * progress, pause, resume and stop, and each message's fate (failures with the server's reply).
 */
export function SendPanel({ campaign }: { campaign: string }) {
  const { t, i18n } = useTranslation();
  const number = useNumber();
  const [form, setForm] = useState<Form>(loadForm);
  const [password, setPassword] = useState("");
  const [passwordSaved, setPasswordSaved] = useState(false);
  const [checked, setChecked] = useState<"ok" | null>(null);
  const [testCustomer, setTestCustomer] = useState("1");
  const [testTo, setTestTo] = useState("");
  const [tested, setTested] = useState<TestSend | null>(null);
  const [rate, setRate] = useState("10");
  const [connections, setConnections] = useState("4");
  const [resendUnknown, setResendUnknown] = useState(false);
  const [progress, setProgress] = useState<SendProgress | null>(null);
  const [sending, setSending] = useState(false);
  const [report, setReport] = useState<SendReport | null>(null);
  const [records, setRecords] = useState<SendRecord[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [showProblems, setShowProblems] = useState(false);
  const mounted = useRef(true);

  const problems = settingsProblems(form);
  const invalid = Object.keys(problems).length > 0;
  const edit = (next: Partial<Form>) => {
    const updated = { ...form, ...next };
    setForm(updated);
    setChecked(null);
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(updated));
  };

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  useEffect(() => {
    if (invalid || !form.user.trim()) {
      setPasswordSaved(false);
      return;
    }
    backend.smtpPasswordSaved(settingsOf(form)).then(setPasswordSaved, () => setPasswordSaved(false));
  }, [form.host, form.port, form.user, invalid]); // eslint-disable-line react-hooks/exhaustive-deps

  const loadRecords = () => backend.campaignSends(campaign).then((r) => mounted.current && setRecords(r), () => {});
  useEffect(() => {
    setReport(null);
    loadRecords();
  }, [campaign]); // eslint-disable-line react-hooks/exhaustive-deps

  async function act<T>(action: () => Promise<T>, done: (value: T) => void) {
    setShowProblems(true);
    if (invalid) return;
    setBusy(true);
    setError(null);
    try {
      if (password) {
        await backend.smtpPasswordSave(settingsOf(form), password);
        setPassword("");
        setPasswordSaved(true);
      }
      done(await action());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const check = () => act(() => backend.smtpCheck(settingsOf(form)), () => setChecked("ok"));
  const testSend = () => {
    if (!testTo.includes("@")) {
      setShowProblems(true);
      return;
    }
    act(() => backend.campaignTestSend(campaign, Number(testCustomer), testTo.trim(), settingsOf(form)), setTested);
  };

  async function send() {
    setShowProblems(true);
    if (invalid) return;
    setError(null);
    setReport(null);
    setSending(true);
    setProgress(null);
    const channel = new Channel<SendProgress>();
    channel.onmessage = (p) => mounted.current && setProgress(p);
    try {
      if (password) {
        await backend.smtpPasswordSave(settingsOf(form), password);
        setPassword("");
        setPasswordSaved(true);
      }
      const done = await backend.campaignSend(campaign, settingsOf(form), Math.max(0, Number(rate) || 0), Math.max(1, Number(connections) || 1), resendUnknown, channel);
      if (mounted.current) setReport(done);
    } catch (e) {
      if (mounted.current) setError(e);
    } finally {
      if (mounted.current) setSending(false);
      loadRecords();
    }
  }

  /** The server's own words for a refusal; Tessera's reasons in the user's language. */
  const replyText = (r: SendRecord) => {
    if (r.state === "unknown") return t("send.unknownReason");
    const code = (r.reply ?? "").split(":")[0];
    if (r.state === "excluded" && i18nHas(`send.excludedReason.${code}`)) return t(`send.excludedReason.${code}`);
    return r.reply ?? "";
  };
  const i18nHas = (key: string) => i18n.exists(key);
  const counts = (state: SendRecord["state"]) => records.filter((r) => r.state === state).length;
  const troubled = records.filter((r) => r.state === "failed" || r.state === "unknown" || r.state === "excluded");
  const handled = progress ? progress.sent + progress.failed + progress.unknown + progress.excluded : 0;
  const percent = progress && progress.total > 0 ? Math.round((100 * handled) / progress.total) : 0;
  const problemAt = (field: "host" | "port" | "dkim") =>
    showProblems && problems[field] ? <span className="field-error" role="alert" data-testid={`send-error-${field}`}>{t(problems[field]!)}</span> : null;

  return (
    <section className="panel send" data-testid="send-panel" aria-label={t("send.title")}>
      <h3>{t("send.title")}</h3>
      <p className="muted">{t("send.hint")}</p>
      <fieldset>
        <legend>{t("send.server")}</legend>
        <div className="toolbar wrap">
          <label>{t("send.host")}
            <input data-testid="send-host" value={form.host} placeholder="smtp.example.com" aria-invalid={showProblems && !!problems.host} onChange={(e) => edit({ host: e.target.value })} />
            {problemAt("host")}
          </label>
          <label>{t("send.port")}
            <input data-testid="send-port" inputMode="numeric" size={6} value={form.port} aria-invalid={showProblems && !!problems.port} onChange={(e) => edit({ port: e.target.value })} />
            {problemAt("port")}
          </label>
          <label>{t("send.security")}
            <select data-testid="send-security" value={form.security} onChange={(e) => edit({ security: e.target.value as Form["security"] })}>
              <option value="auto">{t("send.securityAuto")}</option>
              <option value="starttls">STARTTLS</option>
              <option value="tls">TLS</option>
              <option value="none">{t("send.securityNone")}</option>
            </select>
          </label>
        </div>
        <div className="toolbar wrap">
          <label>{t("send.user")}
            <input data-testid="send-user" value={form.user} autoComplete="username" onChange={(e) => edit({ user: e.target.value })} />
          </label>
          <label>{t("send.password")}
            <input data-testid="send-password" type="password" autoComplete="current-password" value={password} disabled={!form.user.trim()} placeholder={passwordSaved ? t("send.passwordKept") : ""} onChange={(e) => setPassword(e.target.value)} />
          </label>
        </div>
        <p className="muted">{form.user.trim() ? t("send.passwordHint") : t("send.noLogin")}</p>
        <details open={form.dkimDomain !== ""}>
          <summary>{t("send.dkim")}</summary>
          <div className="toolbar wrap">
            <label>{t("send.dkimDomain")}
              <input data-testid="send-dkim-domain" value={form.dkimDomain} placeholder="shop.example" onChange={(e) => edit({ dkimDomain: e.target.value })} />
            </label>
            <label>{t("send.dkimSelector")}
              <input data-testid="send-dkim-selector" value={form.dkimSelector} placeholder="mail2026" onChange={(e) => edit({ dkimSelector: e.target.value })} />
            </label>
            <label>{t("send.dkimKeyFile")}
              <input data-testid="send-dkim-key" className="mono" value={form.dkimKeyFile} placeholder="/home/me/dkim.pem" onChange={(e) => edit({ dkimKeyFile: e.target.value })} />
            </label>
          </div>
          {problemAt("dkim")}
          <p className="muted">{t("send.dkimHint")}</p>
        </details>
        <div className="toolbar">
          <button data-testid="send-check" disabled={busy || sending} onClick={check}>{t("send.check")}</button>
          {checked === "ok" && <span className="ok" role="status" data-testid="send-checked">{t(form.user.trim() ? "send.checked" : "send.checkedNoLogin")}</span>}
        </div>
      </fieldset>

      <fieldset>
        <legend>{t("send.test")}</legend>
        <div className="toolbar wrap">
          <label>{t("send.testCustomer")}
            <input data-testid="send-test-customer" inputMode="numeric" size={8} value={testCustomer} onChange={(e) => setTestCustomer(e.target.value)} />
          </label>
          <label>{t("send.testTo")}
            <input data-testid="send-test-to" type="email" value={testTo} placeholder="me@example.com" aria-invalid={showProblems && !testTo.includes("@")} onChange={(e) => setTestTo(e.target.value)} />
            {showProblems && testTo !== "" && !testTo.includes("@") && <span className="field-error" role="alert" data-testid="send-error-test-to">{t("send.testToInvalid")}</span>}
          </label>
          <button data-testid="send-test" disabled={busy || sending || !testTo} onClick={testSend}>{t("send.testSend")}</button>
        </div>
        <p className="muted">{t("send.testHint")}</p>
        {tested && <p className="ok" role="status" data-testid="send-tested">{t("send.tested", { to: tested.to })}</p>}
      </fieldset>

      <fieldset>
        <legend>{t("send.send")}</legend>
        <div className="toolbar wrap">
          <label>{t("send.rate")}
            <input data-testid="send-rate" inputMode="decimal" size={6} value={rate} disabled={sending} onChange={(e) => setRate(e.target.value)} />
          </label>
          <label>{t("send.connections")}
            <input data-testid="send-connections" inputMode="numeric" size={4} value={connections} disabled={sending} onChange={(e) => setConnections(e.target.value)} />
          </label>
          <label className="check">
            <input type="checkbox" data-testid="send-resend-unknown" checked={resendUnknown} disabled={sending} onChange={(e) => setResendUnknown(e.target.checked)} />
            {t("send.resendUnknown")}
          </label>
        </div>
        <div className="toolbar">
          <button className="primary" data-testid="send-start" disabled={busy || sending} onClick={send}>{t("send.start")}</button>
          {sending && !progress?.paused && <button data-testid="send-pause" onClick={() => backend.campaignSendControl("pause")}>{t("send.pause")}</button>}
          {sending && progress?.paused && <button data-testid="send-resume" onClick={() => backend.campaignSendControl("resume")}>{t("send.resume")}</button>}
          {sending && <button data-testid="send-stop" onClick={() => backend.campaignSendControl("stop")}>{t("send.stop")}</button>}
        </div>
        {sending && progress && (
          <div className="progress" role="progressbar" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100} data-testid="send-progress">
            <div className="bar" style={{ background: `linear-gradient(90deg, var(--accent) ${percent}%, #dde1ea ${percent}%)` }} />
            <span>{number(handled)} / {number(progress.total)}{progress.paused ? ` — ${t("send.paused")}` : ""}</span>
          </div>
        )}
        {report && (
          <p className={report.failed + report.unknown > 0 ? "warn" : "ok"} role="status" data-testid="send-report">
            {t("send.report", { sent: number(report.sent), already: number(report.already_sent), failed: number(report.failed), unknown: number(report.unknown), excluded: number(report.excluded), waiting: number(report.queued) })}
            {report.queued > 0 && ` ${t("send.waiting")}`}
          </p>
        )}
      </fieldset>

      {error !== null && <ErrorMessage error={error} testId="send-error" />}

      {records.length > 0 && (
        <div data-testid="send-states">
          <h4>{t("send.states")}</h4>
          <table>
            <tbody>
              {(["sent", "queued", "failed", "unknown", "excluded"] as const).map((state) => (
                <tr key={state}><th scope="row">{t(`send.state.${state}`)}</th><td className="mono" data-testid={`send-count-${state}`}>{number(counts(state))}</td></tr>
              ))}
            </tbody>
          </table>
          {counts("unknown") > 0 && <p className="muted">{t("send.unknownHint")}</p>}
          {troubled.length > 0 && (
            <table data-testid="send-troubles">
              <thead><tr><th>{t("send.customer")}</th><th>{t("send.stateColumn")}</th><th>{t("send.reply")}</th></tr></thead>
              <tbody>
                {troubled.slice(0, 50).map((r) => (
                  <tr key={r.customer_id}><td className="mono">{r.customer_id}</td><td>{t(`send.state.${r.state}`)}</td><td className="mono" title={r.reply ?? ""}>{replyText(r)}</td></tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
