import { useCallback, useEffect, useState, type Dispatch, type SetStateAction } from "react";
import { useTranslation } from "react-i18next";
import { useNumber } from "../../lib/numbers";
import type { Campaign, CampaignInfo, CampaignPreview, CustomerPage, CustomerRow, Exclusion, RenderedEmail, Rule, SavedSegment } from "../../lib/bindings";
import { useTemplate } from "../templates/useTemplate";
import type { Drafts } from "../templates/drafts";
import { backend } from "../../lib/backend";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { PreviewFrame } from "./PreviewFrame";
import { CustomerPicker } from "./CustomerPicker";
import { stepped, type PreviewSession } from "./previewSession";

const GRID = 4;

type Shown = { customer: CustomerRow; email: RenderedEmail | null; notSent: Exclusion | null; campaign: CampaignPreview | null };

/** Step through real customers' emails (← →) — everyone, or a saved segment's members — pick one
 * by name or at random, or see several side by side. What is chosen lives in the app (`session`),
 * so it is still there after visiting other screens; a template's unsaved edit is what is shown. */
export function PreviewScreen({ total, session, onSession, drafts }: { total: number; session: PreviewSession; onSession: Dispatch<SetStateAction<PreviewSession>>; drafts: Drafts }) {
  const { t } = useTranslation();
  const update = (patch: Partial<PreviewSession>) => onSession((s) => ({ ...s, ...patch }));
  const { templates, name: template, setName: setTemplate, source, dirty } = useTemplate({
    name: session.template,
    setName: (n) => update({ template: n }),
    drafts,
  });
  const { position, grid } = session;
  const number = useNumber();
  const [shown, setShown] = useState<Shown[]>([]);
  const [error, setError] = useState<unknown>(null);
  // A saved campaign instead of a template: each customer as the campaign would treat them.
  const [campaigns, setCampaigns] = useState<CampaignInfo[]>([]);
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  // A saved segment to step through instead of everyone.
  const [segments, setSegments] = useState<SavedSegment[]>([]);
  const [members, setMembers] = useState<{ name: string; rule: Rule } | null>(null);
  // Customers stepped through: everyone, or the segment's members (known once a page is read).
  const [count, setCount] = useState<number | null>(session.segment ? null : total);

  useEffect(() => {
    backend.campaignsList().then(setCampaigns, () => setCampaigns([]));
    backend.segmentsList().then(setSegments, () => setSegments([]));
  }, []);

  // The campaign and segment are kept by name and read again on coming back (they may have changed).
  useEffect(() => {
    if (!session.campaign) return setCampaign(null);
    let current = true;
    backend.campaignLoad(session.campaign).then(
      (c) => current && setCampaign(c),
      (e) => current && (setCampaign(null), setError(e), update({ campaign: "" })),
    );
    return () => {
      current = false;
    };
  }, [session.campaign]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (!session.segment) return setMembers(null);
    let current = true;
    const name = session.segment;
    backend.segmentLoad(name).then(
      (rule) => current && setMembers({ name, rule }),
      (e) => current && (setMembers(null), setError(e), update({ segment: "", position: 0 })),
    );
    return () => {
      current = false;
    };
  }, [session.segment]); // eslint-disable-line react-hooks/exhaustive-deps

  const ready = (session.campaign ? campaign !== null : source !== "") && (session.segment ? members?.name === session.segment : true);
  useEffect(() => {
    if (!ready) return;
    let current = true;
    const one = async (customer: CustomerRow): Promise<Shown> => {
      if (!campaign) {
        const email = await backend.emailPreview(source, customer.id);
        return { customer, email, notSent: email.not_sent, campaign: null };
      }
      const preview = await backend.campaignPreview(campaign, customer.id);
      return { customer, email: preview.email, notSent: preview.excluded, campaign: preview };
    };
    const limit = grid ? GRID : 1;
    const page: Promise<CustomerPage> = members
      ? backend.segmentMembers(members.rule, position, limit)
      : backend.customersPage({ search: "", sort: "id", descending: false, offset: position, limit });
    page
      .then(async (p) => {
        if (!current) return;
        setCount(p.total);
        // Fewer customers than when the position was chosen (an import, an edited segment): the last one.
        if (p.rows.length === 0 && p.total > 0 && position > 0) return update({ position: p.total - 1 });
        const s = await Promise.all(p.rows.map(one));
        if (current) (setShown(s), setError(null));
      })
      .catch((e) => current && setError(e));
    return () => {
      current = false;
    };
  }, [ready, source, campaign, members, position, grid]); // eslint-disable-line react-hooks/exhaustive-deps

  function chooseSegment(name: string) {
    setCount(name ? null : total);
    setShown([]);
    update({ segment: name, position: 0 });
  }

  // A customer found by name: stepping goes on from them among everyone (a segment's order has no
  // place for a customer who may not be in it).
  async function jumpTo(customer: CustomerRow) {
    try {
      const at = await backend.customerPositionGet(customer.id);
      setCount(total);
      update({ segment: "", position: at });
    } catch (e) {
      setError(e);
    }
  }

  // Where the customer is in the campaign, in words.
  const placeOf = (p: CampaignPreview) =>
    p.excluded ? t(`preview.excluded.${p.excluded}`) : p.template ? t("preview.inVariant", { variant: p.arm, template: p.template }) : t("preview.noEmailInVariant", { variant: p.arm });

  const known = count ?? 0;
  const step = useCallback((by: number) => onSession((s) => ({ ...s, position: stepped(s.position, by, known) })), [onSession, known]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const tag = (e.target as HTMLElement).tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
      if (e.key === "ArrowRight") step(grid ? GRID : 1);
      if (e.key === "ArrowLeft") step(grid ? -GRID : -1);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [step, grid]);

  return (
    <section className="preview">
      <h1>{t("preview.title")}</h1>
      <div className="toolbar">
        <select aria-label={t("preview.template")} data-testid="preview-template" value={template} disabled={session.campaign !== ""} onChange={(e) => setTemplate(e.target.value)}>
          {templates.map((tpl) => (
            <option key={tpl.name} value={tpl.name}>
              {tpl.name in drafts ? `${tpl.name} (${t("templates.unsaved")})` : tpl.name}
            </option>
          ))}
        </select>
        <select aria-label={t("preview.campaign")} data-testid="preview-campaign" value={session.campaign} onChange={(e) => update({ campaign: e.target.value })}>
          <option value="">{t("preview.noCampaign")}</option>
          {campaigns.map((c) => <option key={c.name} value={c.name}>{c.name}</option>)}
        </select>
        <select aria-label={t("preview.audience")} data-testid="preview-audience" value={session.segment} onChange={(e) => chooseSegment(e.target.value)}>
          <option value="">{t("preview.everyone")}</option>
          {segments.map((s) => <option key={s.name} value={s.name}>{s.name}</option>)}
        </select>
      </div>
      <div className="toolbar">
        <button data-testid="preview-previous" onClick={() => step(grid ? -GRID : -1)}>← {t("preview.previous")}</button>
        <span className="mono" data-testid="preview-position">
          {count === 0 ? "0" : number(position + 1)} / {count === null ? "…" : number(count)}
        </span>
        <button data-testid="preview-next" onClick={() => step(grid ? GRID : 1)}>{t("preview.next")} →</button>
        <CustomerPicker onPick={jumpTo} inputTestId="preview-search" optionTestId="preview-found" label={t("preview.search")} />
        <button onClick={() => update({ position: Math.floor(Math.random() * known) })} disabled={known === 0}>{t("preview.random")}</button>
        <button onClick={() => update({ grid: !grid })}>{grid ? t("preview.single") : t("preview.grid")}</button>
        <span className="muted">{t("preview.keys")}</span>
      </div>
      {!session.campaign && dirty && <p className="warn" data-testid="preview-unsaved">{t("preview.showingDraft")}</p>}
      {error !== null && <ErrorMessage error={error} testId="preview-error" />}
      {count === 0 && session.segment && <p className="muted" data-testid="preview-empty">{t("preview.emptySegment", { name: session.segment })}</p>}
      <div className={grid ? "grid" : "single"}>
        {count !== 0 && shown.map(({ customer, email, notSent, campaign: place }) => (
          <div key={customer.id} className="card" data-testid="preview-card">
            <div className="who">#{customer.id} {customer.name} <span className="muted">{customer.email}</span></div>
            {place && !place.excluded && <div className="muted" data-testid="preview-variant">{placeOf(place)}</div>}
            {place?.excluded && (
              <div className="warn not-sent" data-testid="preview-not-sent">
                <span data-testid="preview-variant">{placeOf(place)}</span>
              </div>
            )}
            {!place && notSent && <p className="warn not-sent" data-testid="preview-not-sent">{t(`preview.notSent.${notSent}`)}</p>}
            {email && <PreviewFrame email={email} width={grid ? 640 : 800} height={grid ? 520 : 700} />}
          </div>
        ))}
      </div>
    </section>
  );
}
