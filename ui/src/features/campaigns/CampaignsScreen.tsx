import { Fragment, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNumber } from "../../lib/numbers";
import { Channel } from "@tauri-apps/api/core";
import type { Campaign, CampaignInfo, EmailFiles, Opened, RenderedItem, Rule, RunInfo, RunProgress, RunSummary, SavedSegment, Split, TemplateInfo } from "../../lib/bindings";
import { backend, errorCode, fieldProblem, templatesOf } from "../../lib/backend";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { FieldError, isWrong } from "../../lib/FieldError";
import { addVariant, audienceChoice, audienceFromValue, audienceValue, freshFolder, hasSites, hasVideo, LANGUAGES, newCampaign, parseValues, recipients, settingWarnings, valuesText, variantTemplates, VIDEO_FORMATS, videoFormats, withTemplates, withVideoFormat, type ContentFormat, type Language } from "./campaignModel";
import { HypothesisFields } from "./HypothesisFields";
import { ResultsPanel } from "./ResultsPanel";
import { SendPanel } from "./SendPanel";
import { ServePanel } from "./ServePanel";

/**
 * The campaign editor: who it is for, the variants (a template per language, a weight, their own
 * merge values), the holdout and the sender; the split it gives as you edit; render with
 * progress and cancel; past runs from the delivery log.
 */
export function CampaignsScreen({ segment, active }: { segment: Rule; active: boolean }) {
  const { t, i18n } = useTranslation();
  const [templates, setTemplates] = useState<TemplateInfo[]>([]);
  const [sites, setSites] = useState<TemplateInfo[]>([]);
  const [storyboards, setStoryboards] = useState<TemplateInfo[]>([]);
  const [segments, setSegments] = useState<SavedSegment[]>([]);
  const [saved, setSaved] = useState<CampaignInfo[]>([]);
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [split, setSplit] = useState<Split | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  // The name last saved under, worded when shown (so it follows a change of language).
  const [notice, setNotice] = useState<string | null>(null);
  const [runs, setRuns] = useState<RunInfo[]>([]);
  const [out, setOut] = useState("");
  const [strict, setStrict] = useState(false);
  const [progress, setProgress] = useState<RunProgress | null>(null);
  const [summary, setSummary] = useState<RunSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  // The folder holding an earlier render, while the user is asked whether to replace it.
  const [askReplace, setAskReplace] = useState<string | null>(null);
  // Renders of every campaign, newest first: where a fresh folder is proposed.
  const [allRuns, setAllRuns] = useState<RunInfo[]>([]);
  // A rendered folder or manifest no program could open: its path, to copy.
  const [opened, setOpened] = useState<Opened | null>(null);
  const [openError, setOpenError] = useState<unknown>(null);
  const [copied, setCopied] = useState<"copied" | "selected" | null>(null);
  // An earlier run whose sites the user asked to serve.
  const [serveRun, setServeRun] = useState<string | null>(null);
  const pathField = useRef<HTMLInputElement>(null);
  const running = progress !== null && summary === null && error === null;
  const number = useNumber();
  const percent = (share: number | null) => `${((share ?? 0) * 100).toLocaleString(i18n.language, { maximumFractionDigits: 1 })}%`;

  // The lists (templates, segments, campaigns) each time the screen is shown: they may have
  // changed on other screens. The campaign being edited stays.
  useEffect(() => {
    if (!active) return;
    let current = true;
    Promise.all([templatesOf("email"), templatesOf("microsite"), templatesOf("storyboard"), backend.segmentsList(), backend.campaignsList()]).then(([tpl, sites, boards, seg, list]) => {
      if (!current) return;
      setTemplates(tpl);
      setSites(sites);
      setStoryboards(boards);
      setSegments(seg);
      setSaved(list);
    });
    return () => {
      current = false;
    };
  }, [active]);

  // A new campaign the first time, once the email templates are known.
  useEffect(() => {
    if (campaign || templates.length === 0) return;
    backend.campaignSeed().then((seed) => setCampaign((c) => c ?? newCampaign(t("campaigns.defaultName"), templates, seed)));
  }, [templates]); // eslint-disable-line react-hooks/exhaustive-deps -- only until there is a campaign

  // The split follows every edit (from the segment index: milliseconds at a million). While an
  // edit is invalid, the last split stays (marked so) and the field says what is wrong.
  useEffect(() => {
    if (!campaign) return;
    let current = true;
    const timer = setTimeout(() => {
      backend.campaignSplit(campaign).then(
        (s) => current && (setSplit(s), setProblem(null)),
        (e) => current && setProblem(e),
      );
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [campaign]);

  useEffect(() => {
    if (campaign?.name) backend.campaignRuns(campaign.name).then(setRuns, () => setRuns([]));
  }, [campaign?.name, summary]);
  useEffect(() => {
    backend.campaignRuns(null).then(setAllRuns, () => setAllRuns([]));
  }, [summary]);

  if (!campaign) return <section className="campaigns"><h1>{t("campaigns.title")}</h1></section>;

  const edit = (next: Partial<Campaign>) => {
    setNotice(null);
    setCampaign({ ...campaign, ...next });
  };
  const editVariant = (i: number, next: Campaign["variants"][number]) =>
    edit({ variants: campaign.variants.map((v, j) => (j === i ? next : v)) });
  const choice = audienceChoice(campaign.audience);
  const chosenSegment = "segment" in campaign.audience ? campaign.audience.segment ?? "" : "";
  const settings = campaign.email_settings ?? {};
  const warnings = settingWarnings(campaign.email_settings);
  const taken = allRuns.map((r) => r.out);
  const suggested = out.trim() ? null : freshFolder(allRuns[0]?.out, campaign.name, new Date(), taken);
  const besideEarlier = askReplace ? freshFolder(askReplace, campaign.name, new Date(), [...taken, askReplace]) : null;
  const getting = split ? recipients(split) : null;

  async function load(name: string) {
    try {
      setCampaign(await backend.campaignLoad(name));
      setSummary(null);
      setNotice(null);
    } catch (e) {
      setProblem(e);
    }
  }

  async function save() {
    try {
      await backend.campaignSave(campaign!);
      setSaved(await backend.campaignsList());
      setNotice(campaign!.name);
    } catch (e) {
      setProblem(e);
    }
  }

  async function pickFolder() {
    try {
      const picked = await backend.filePick({ kind: "folder", title: t("campaigns.folderTitle"), filter: null, file_name: null });
      if (picked !== null) chooseOut(picked);
    } catch (e) {
      setError(e);
    }
  }

  function chooseOut(folder: string) {
    setOut(folder);
    setAskReplace(null);
  }

  /** Renders into `out`; a folder holding an earlier render is replaced only once the user says so. */
  async function render(replace = false) {
    setSummary(null);
    setError(null);
    setAskReplace(null);
    setOpened(null);
    setOpenError(null);
    setProgress({ done: 0, total: 0 });
    const channel = new Channel<RunProgress>();
    channel.onmessage = setProgress;
    try {
      setSummary(await backend.campaignRender(campaign!, out, strict, replace, channel));
    } catch (e) {
      if (errorCode(e) === "earlier_render") {
        setProgress(null);
        setAskReplace(out);
      } else setError(e);
    }
  }

  /** Opens the rendered folder or manifest; without a program to open it, shows its path to copy. */
  async function openRendered(item: RenderedItem) {
    setOpenError(null);
    setCopied(null);
    try {
      const result = await backend.campaignOpen(item);
      setOpened(result.opened ? null : result);
    } catch (e) {
      setOpened(null);
      setOpenError(e);
    }
  }

  async function copyPath() {
    try {
      await navigator.clipboard.writeText(opened!.path);
      setCopied("copied");
    } catch {
      // No clipboard access here: select the path for the user to copy with the keyboard.
      pathField.current?.focus();
      pathField.current?.select();
      setCopied("selected");
    }
  }

  const done = progress && progress.total ? Math.round((100 * progress.done) / progress.total) : 0;
  return (
    <section className="campaigns">
      <h1>{t("campaigns.title")}</h1>
      <div className="toolbar">
        <label>{t("campaigns.open")}{" "}
          <select data-testid="campaign-open" value="" onChange={(e) => e.target.value && load(e.target.value)}>
            <option value="">{t("campaigns.openChoose", { count: number(saved.length) })}</option>
            {saved.map((c) => <option key={c.name} value={c.name}>{c.name}</option>)}
          </select>
        </label>
        <button data-testid="campaign-new" onClick={() => backend.campaignSeed().then((seed) => { setCampaign(newCampaign(t("campaigns.defaultName"), templates, seed)); setSummary(null); })}>{t("campaigns.new")}</button>
      </div>

      <div className="form">
        <label>{t("campaigns.name")}
          <input data-testid="campaign-name" aria-invalid={isWrong(problem, "name")} value={campaign.name} onChange={(e) => edit({ name: e.target.value })} />
          <FieldError error={problem} field="name" />
        </label>
        <label>{t("campaigns.audience")}
          <select data-testid="campaign-audience" value={audienceValue(campaign.audience)} onChange={(e) => edit({ audience: audienceFromValue(e.target.value, segment) })}>
            <option value="all">{t("campaigns.everyone")}</option>
            <option value="rule">{t("campaigns.segment")}</option>
            <optgroup label={segments.length ? t("campaigns.savedSegments") : t("campaigns.noSavedSegments")}>
              {segments.map((s) => <option key={s.name} value={`segment:${s.name}`}>{s.name}</option>)}
              {choice === "segment" && !segments.some((s) => s.name === chosenSegment) && (
                <option value={`segment:${chosenSegment}`}>{t("campaigns.missingSegment", { name: chosenSegment })}</option>
              )}
            </optgroup>
          </select>
          <FieldError error={problem} field="audience" />
        </label>
        {choice === "rule" && (
          <p className="muted">
            {t("campaigns.ruleConditions", { count: number(("rule" in campaign.audience && campaign.audience.rule?.conditions?.length) || 0) })}{" "}
            <button className="link" onClick={() => edit({ audience: { rule: segment } })}>{t("campaigns.useBuilt")}</button>
          </p>
        )}
      </div>

      <h2>{t("campaigns.variants")}</h2>
      <table className="variants" data-testid="campaign-variants">
        <thead>
          <tr>
            <th>{t("campaigns.variant")}</th>
            <th>{t("campaigns.weight")}</th>
            {LANGUAGES.map((l) => <th key={l}>{t(`campaigns.language.${l}`)}</th>)}
            <th>{t("campaigns.values")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {campaign.variants.map((v, i) => {
            // A template per format and language: which, from the workspace's templates of that kind.
            const contentChoices: { format: ContentFormat; label: string; none: string; aria: string; suffix: string; list: TemplateInfo[] }[] = [
              { format: "email", label: "campaigns.emailContent", none: "campaigns.noTemplate", aria: "campaigns.language", suffix: "", list: templates },
              { format: "microsite", label: "campaigns.siteContent", none: "campaigns.noSite", aria: "campaigns.siteLanguage", suffix: "-site", list: sites },
              { format: "video", label: "campaigns.videoContent", none: "campaigns.noVideo", aria: "campaigns.videoLanguage", suffix: "-video", list: storyboards },
            ];
            const at = `variants.${i}.`;
            return (
              <Fragment key={i}>
              <tr data-testid={`variant-${i}`}>
                <td><input aria-label={t("campaigns.variant")} data-testid={`variant-${i}-name`} aria-invalid={isWrong(problem, `${at}name`)} className="short" value={v.name} onChange={(e) => editVariant(i, { ...v, name: e.target.value })} /></td>
                <td><input aria-label={t("campaigns.weight")} data-testid={`variant-${i}-weight`} aria-invalid={isWrong(problem, `${at}weight`)} className="short" type="number" min="0.1" max="1000000" step="any" value={v.weight ?? 1} onChange={(e) => editVariant(i, { ...v, weight: Number(e.target.value) })} /></td>
                {LANGUAGES.map((l: Language) => (
                  <td key={l}><div className="content-cell">
                    {contentChoices.map(({ format, label, none, aria, suffix, list }) => {
                      const chosen = variantTemplates(v, format);
                      return (
                        <label key={format} className="stacked">{t(label)}
                          <select aria-label={t(`${aria}.${l}`)} data-testid={`variant-${i}-${l}${suffix}`} value={chosen[l] ?? ""} onChange={(e) => editVariant(i, withTemplates(v, { ...chosen, [l]: e.target.value || undefined }, format))}>
                            <option value="">{t(none)}</option>
                            {list.map((tpl) => <option key={tpl.name} value={tpl.name}>{tpl.name}</option>)}
                          </select>
                        </label>
                      );
                    })}
                  </div></td>
                ))}
                <td>
                  <textarea aria-label={t("campaigns.values")} aria-invalid={isWrong(problem, `${at}values`)} placeholder={t("campaigns.valuesHint")} rows={1} value={valuesText(v.values)} onChange={(e) => editVariant(i, { ...v, values: parseValues(e.target.value) })} />
                </td>
                <td>{campaign.variants.length > 1 && <button className="remove" onClick={() => edit({ variants: campaign.variants.filter((_, j) => j !== i) })}>{t("segments.remove")}</button>}</td>
              </tr>
              {fieldProblem(problem)?.field.startsWith(at) && (
                <tr className="field-error-row">
                  <td colSpan={LANGUAGES.length + 4}><FieldError error={problem} field={(f) => f.startsWith(at)} /></td>
                </tr>
              )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      <div className="toolbar">
        <button data-testid="campaign-add-variant" onClick={() => edit(addVariant(campaign))}>{t("campaigns.addVariant")}</button>
        <FieldError error={problem} field="variants" />
        <label>{t("campaigns.holdout")}{" "}
          <input data-testid="campaign-holdout" aria-invalid={isWrong(problem, "holdout")} className="short" type="number" min="0" max="50" step="1" value={Math.round((campaign.holdout ?? 0) * 100)} onChange={(e) => edit({ holdout: Math.min(Math.max(Number(e.target.value), 0), 50) / 100 })} /> %
          <FieldError error={problem} field="holdout" />
        </label>
        <label>{t("campaigns.fallback")}{" "}
          <select value={campaign.fallback_language ?? "en"} onChange={(e) => edit({ fallback_language: e.target.value })}>
            {LANGUAGES.map((l) => <option key={l} value={l}>{t(`campaigns.language.${l}`)}</option>)}
          </select>
        </label>
      </div>

      <div className="form">
        <label>{t("campaigns.from")}
          <input data-testid="campaign-from" aria-invalid={isWrong(problem, "email_settings.from")} value={settings.from ?? ""} onChange={(e) => edit({ email_settings: { ...settings, from: e.target.value } })} />
          <FieldError error={problem} field="email_settings.from" />
        </label>
        <label>{t("campaigns.unsubscribe")}
          <input data-testid="campaign-unsubscribe" aria-invalid={isWrong(problem, "email_settings.unsubscribe")} className="mono" value={settings.unsubscribe ?? ""} onChange={(e) => edit({ email_settings: { ...settings, unsubscribe: e.target.value } })} />
          <FieldError error={problem} field="email_settings.unsubscribe" />
        </label>
        {warnings.length > 0 && (
          <div className="warn-box" data-testid="campaign-placeholder-warning">
            {warnings.map((w) => <p key={w.field}>{t(`campaigns.placeholder.${w.field}_${w.kind}`, { value: w.value })}</p>)}
          </div>
        )}
        {hasVideo(campaign) && (
          <fieldset className="video-formats" data-testid="campaign-video-formats">
            <legend>{t("campaigns.videoFormats")}</legend>
            {VIDEO_FORMATS.map((f) => {
              const on = videoFormats(campaign).includes(f);
              return (
                <label key={f} className="inline">
                  <input type="checkbox" data-testid={`campaign-video-${f}`} checked={on} disabled={on && videoFormats(campaign).length === 1} onChange={(e) => edit(withVideoFormat(campaign, f, e.target.checked))} />
                  {t(`campaigns.videoFormat.${f}`)}
                </label>
              );
            })}
            <FieldError error={problem} field="video_settings.formats" />
          </fieldset>
        )}
        {hasSites(campaign) && (
          <label>{t("campaigns.baseUrl")}
            <input data-testid="campaign-base-url" aria-invalid={isWrong(problem, "microsite_settings.base_url")} className="mono" value={campaign.microsite_settings?.base_url ?? "http://127.0.0.1:8080"} onChange={(e) => edit({ microsite_settings: { ...campaign.microsite_settings, base_url: e.target.value } })} />
            <span className="muted">{t("campaigns.baseUrlHint")}</span>
            <FieldError error={problem} field="microsite_settings.base_url" />
          </label>
        )}
        <label>{t("campaigns.format")}
          <select value={settings.files ?? "eml"} onChange={(e) => edit({ email_settings: { ...settings, files: e.target.value as EmailFiles } })}>
            <option value="eml">{t("campaigns.eml")}</option>
            <option value="html">{t("campaigns.html")}</option>
          </select>
        </label>
      </div>

      <HypothesisFields campaign={campaign} split={split} problem={problem} edit={edit} />

      {problem !== null && !fieldProblem(problem) && <ErrorMessage error={problem} testId="campaign-problem" />}
      {split && (
        <section className={problem !== null ? "panel stale" : "panel"} data-testid="campaign-split" aria-label={t("campaigns.split")}>
          <h2>{t("campaigns.split")}</h2>
          {problem !== null && <p className="warn" data-testid="campaign-split-stale">{t("campaigns.splitStale")}</p>}
          <table>
            <thead><tr><th>{t("campaigns.variant")}</th><th>{t("campaigns.asked")}</th><th>{t("campaigns.customers")}</th><th>{t("campaigns.expected")}</th></tr></thead>
            <tbody>
              {[...split.arms, ...(split.holdout.customers > 0 || (split.holdout.share ?? 0) > 0 ? [split.holdout] : [])].map((arm) => (
                <tr key={arm.name} data-testid="split-arm">
                  <td>{arm.name === "holdout" ? t("campaigns.holdoutArm") : arm.name}</td>
                  <td>{percent(arm.share)}</td>
                  <td className="mono">{number(arm.customers)}</td>
                  <td className="mono muted" data-testid="split-expected">{t("campaigns.range", { low: number(arm.expected_low), high: number(arm.expected_high) })}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted">{t("campaigns.excluded", { audience: number(split.audience), optedOut: number(split.excluded.opted_out), suppressed: number(split.excluded.suppressed), noAddress: number(split.excluded.no_address) })}</p>
          {split.sample_ratio.degrees_of_freedom > 0 && (
            <p className={split.sample_ratio.mismatch ? "error" : split.sample_ratio.enough ? "ok" : "muted"} data-testid="campaign-srm">
              {split.sample_ratio.mismatch ? t("campaigns.mismatch") : split.sample_ratio.enough ? t("campaigns.fits") : t("campaigns.tooFew")}
            </p>
          )}
        </section>
      )}

      <div className="toolbar">
        <button data-testid="campaign-save" onClick={save} disabled={problem !== null}>{t("campaigns.save")}</button>
        {notice !== null && <span className="ok" role="status" data-testid="campaign-notice">{t("campaigns.saved", { name: notice })}</span>}
      </div>

      <h2>{t("campaigns.renderTitle")}</h2>
      <p className={`recipients${getting === 0 ? " warn" : ""}`} data-testid="campaign-recipients" aria-live="polite">
        {getting === null ? "…" : t("campaigns.recipients", { count: getting, n: number(getting) })}
      </p>
      {warnings.length > 0 && <p className="warn" data-testid="campaign-placeholder-reminder">{t("campaigns.placeholder.reminder")}</p>}
      <div className="form">
        <label>{t("campaigns.folder")}
          <span className="toolbar">
            <input data-testid="campaign-out" className="grow mono" value={out} onChange={(e) => chooseOut(e.target.value)} />
            <button onClick={pickFolder}>{t("campaigns.choose")}</button>
          </span>
        </label>
        {suggested && (
          <p className="muted">
            <button className="link" data-testid="campaign-suggested-out" onClick={() => chooseOut(suggested)}>{t("campaigns.useFresh")}</button>{" "}
            <span className="mono">{suggested}</span>
          </p>
        )}
        <label className="check">
          <span><input type="checkbox" checked={strict} onChange={(e) => setStrict(e.target.checked)} /> {t("campaigns.strict")}</span>
        </label>
      </div>
      <div className="toolbar">
        <button data-testid="campaign-render" className="primary" disabled={!out || running || problem !== null} onClick={() => render(false)}>{t("campaigns.render")}</button>
        {running && <button data-testid="campaign-cancel" onClick={() => backend.campaignCancel()}>{t("campaigns.cancel")}</button>}
      </div>
      {progress && !summary && !error && (
        <div className="progress" role="progressbar" aria-valuenow={done} aria-valuemin={0} aria-valuemax={100}>
          <div className="bar" style={{ background: `linear-gradient(90deg, var(--accent) ${done}%, #dde1ea ${done}%)` }} />
          <span>{number(progress.done)} / {number(progress.total)}</span>
        </div>
      )}
      {askReplace && (
        <div className="panel ask" data-testid="campaign-replace">
          <p>{t("campaigns.replaceQuestion", { folder: askReplace })}</p>
          <div className="toolbar">
            <button className="primary" data-testid="campaign-replace-confirm" onClick={() => render(true)}>{t("campaigns.replaceEarlier")}</button>
            <button data-testid="campaign-replace-other" onClick={pickFolder}>{t("campaigns.chooseAnother")}</button>
            {besideEarlier && (
              <button className="link" data-testid="campaign-replace-fresh" onClick={() => chooseOut(besideEarlier)}>
                {t("campaigns.useFresh")} <span className="mono">{besideEarlier}</span>
              </button>
            )}
          </div>
        </div>
      )}
      {error !== null && <ErrorMessage error={error} testId="campaign-error" />}
      {summary && (
        <div className="panel" data-testid="campaign-summary">
          <p className={summary.cancelled ? "warn" : "ok"}>
            {t(summary.cancelled ? "campaigns.cancelled" : "campaigns.done", { rendered: number(summary.rendered), holdout: number(summary.split.excluded.holdout), optedOut: number(summary.split.excluded.opted_out), suppressed: number(summary.split.excluded.suppressed), noEmail: number(summary.split.excluded.no_address) })}
            {summary.resumed > 0 && ` ${t("campaigns.resumed", { count: number(summary.resumed) })}`}
          </p>
          <p>
            {t("campaigns.folder")}: <span className="mono" data-testid="campaign-folder">{summary.out}</span>{" "}
            <button className="link" data-testid="campaign-open-folder" onClick={() => openRendered("folder")}>{t("campaigns.openFolder")}</button>{" "}
            <button className="link" data-testid="campaign-open-manifest" onClick={() => openRendered("manifest")}>{t("campaigns.openManifest")}</button>
          </p>
          {opened && (
            <div className="copy-path" data-testid="campaign-open-fallback">
              <p className="muted">{t("campaigns.noOpener")}</p>
              <span className="toolbar">
                <input ref={pathField} readOnly className="grow mono" aria-label={t("campaigns.path")} data-testid="campaign-open-path" value={opened.path} onFocus={(e) => e.target.select()} />
                <button data-testid="campaign-copy-path" onClick={copyPath}>{copied === "copied" ? t("campaigns.copied") : t("campaigns.copy")}</button>
              </span>
              {copied === "selected" && <p className="muted">{t("campaigns.copySelected")}</p>}
            </div>
          )}
          {openError !== null && <ErrorMessage error={openError} testId="campaign-open-error" />}
          {summary.missing_fields.length > 0 && (
            <ul className="warn">
              {summary.missing_fields.map((m) => (
                <li key={`${m.template}${m.field}${m.line}`}>{t("campaigns.missing", { template: m.template, field: m.field, line: m.line, customers: number(m.customers), of: number(m.of) })}</li>
              ))}
            </ul>
          )}
          {summary.unsafe_links.length > 0 && (
            <ul className="warn" data-testid="campaign-unsafe-links">
              {summary.unsafe_links.map((u) => (
                <li key={`${u.template}${u.field}${u.line}${u.column}`}>{t("campaigns.unsafeLink", { field: u.field, line: u.line, customers: number(u.customers), of: number(u.of) })}</li>
              ))}
            </ul>
          )}
          {summary.unreached.length > 0 && (
            <ul className="warn" data-testid="campaign-unreached">
              {summary.unreached.map((u) => (
                <li key={u.link}>{t(u.format === "video" ? "campaigns.unreachedVideo" : "campaigns.unreachedSite", { link: `{{${u.link}}}` })}</li>
              ))}
            </ul>
          )}
          {hasSites(campaign) && <ServePanel folder={summary.out} />}
          {summary.failed.length > 0 && <p className="error">{t("campaigns.failed", { count: summary.failed.length, n: number(summary.failed.length), first: summary.failed[0].error })}</p>}
        </div>
      )}

      {runs.length > 0 && (
        <section data-testid="campaign-runs" aria-label={t("campaigns.runs")}>
          <h2>{t("campaigns.runs")}</h2>
          <table>
            <thead><tr><th>{t("campaigns.started")}</th><th>{t("campaigns.status")}</th><th>{t("campaigns.customers")}</th><th>{t("campaigns.folder")}</th>{runs.some((r) => r.sites) && <th />}</tr></thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-testid="campaign-run">
                  <td>{new Date(r.started_at).toLocaleString(i18n.language)}</td>
                  <td>{t(`campaigns.runStatus.${r.status}`)}</td>
                  <td className="mono">{number(r.customers)}</td>
                  <td className="mono">{r.out}</td>
                  {runs.some((r) => r.sites) && <td>{r.sites && <button className="link" data-testid="campaign-run-serve" onClick={() => setServeRun(r.out)}>{t("serve.serveRun")}</button>}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          {serveRun && serveRun !== summary?.out && <ServePanel folder={serveRun} />}
        </section>
      )}
      {campaign?.name && (campaign.email_settings?.files ?? "eml") === "eml" && runs.some((r) => r.status === "done") && <SendPanel campaign={campaign.name} />}
      {campaign?.name && runs.some((r) => r.status === "done") && <ResultsPanel campaign={campaign.name} refresh={runs} />}
    </section>
  );
}
