import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Campaign, CampaignInfo, CampaignPreview, CustomerRow, RenderedEmail } from "../../lib/bindings";
import { useTemplate } from "../templates/useTemplate";
import { backend, errorText } from "../../lib/backend";
import { EmailFrame } from "./EmailFrame";

const GRID = 4;

/** Step through real customers' emails (← →), pick one by position or at random, or see several
 * side by side. */
export function PreviewScreen({ total }: { total: number }) {
  const { t, i18n } = useTranslation();
  const { templates, name: template, setName: setTemplate, source } = useTemplate();
  const [position, setPosition] = useState(0);
  const [grid, setGrid] = useState(false);
  const [shown, setShown] = useState<{ customer: CustomerRow; email: RenderedEmail | null; campaign: CampaignPreview | null }[]>([]);
  // A saved campaign instead of a template: each customer as the campaign would treat them.
  const [campaigns, setCampaigns] = useState<CampaignInfo[]>([]);
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  useEffect(() => {
    backend.campaignsList().then(setCampaigns, () => setCampaigns([]));
  }, []);
  const [error, setError] = useState<string | null>(null);
  const [search, setSearch] = useState("");
  const [found, setFound] = useState<CustomerRow[]>([]);

  // Customers matching the search, to jump to; stepping goes on from the one picked.
  useEffect(() => {
    if (!search.trim()) {
      setFound([]);
      return;
    }
    const timer = setTimeout(() => {
      backend.customersPage({ search, sort: "name", descending: false, offset: 0, limit: 8 }).then((p) => setFound(p.rows), () => setFound([]));
    }, 120);
    return () => clearTimeout(timer);
  }, [search]);

  async function jumpTo(customer: CustomerRow) {
    setPosition(await backend.customerPositionGet(customer.id));
    setSearch("");
  }

  useEffect(() => {
    if (!source && !campaign) return;
    let current = true;
    const one = async (customer: CustomerRow) => {
      if (!campaign) return { customer, email: await backend.emailPreview(source, customer.id), campaign: null };
      const preview = await backend.campaignPreview(campaign, customer.id);
      return { customer, email: preview.email, campaign: preview };
    };
    backend
      .customersPage({ search: "", sort: "id", descending: false, offset: position, limit: grid ? GRID : 1 })
      .then((page) => Promise.all(page.rows.map(one)))
      .then((s) => current && (setShown(s), setError(null)), (e) => current && setError(errorText(e)));
    return () => {
      current = false;
    };
  }, [source, campaign, position, grid]);

  async function chooseCampaign(name: string) {
    setCampaign(name ? await backend.campaignLoad(name) : null);
  }

  // Where the customer is in the campaign, in words.
  const placeOf = (p: CampaignPreview) =>
    p.excluded ? t(`preview.excluded.${p.excluded}`) : t("preview.inVariant", { variant: p.arm, template: p.template });

  const step = useCallback((by: number) => setPosition((p) => Math.min(Math.max(p + by, 0), Math.max(total - 1, 0))), [total]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement).tagName === "INPUT") return;
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
        <select aria-label={t("preview.template")} data-testid="preview-template" value={template} disabled={campaign !== null} onChange={(e) => setTemplate(e.target.value)}>
          {templates.map((tpl) => <option key={tpl.name}>{tpl.name}</option>)}
        </select>
        <select aria-label={t("preview.campaign")} data-testid="preview-campaign" value={campaign?.name ?? ""} onChange={(e) => chooseCampaign(e.target.value)}>
          <option value="">{t("preview.noCampaign")}</option>
          {campaigns.map((c) => <option key={c.name} value={c.name}>{c.name}</option>)}
        </select>
        <button data-testid="preview-previous" onClick={() => step(grid ? -GRID : -1)}>← {t("preview.previous")}</button>
        <span className="mono" data-testid="preview-position">{(position + 1).toLocaleString(i18n.language)} / {total.toLocaleString(i18n.language)}</span>
        <button data-testid="preview-next" onClick={() => step(grid ? GRID : 1)}>{t("preview.next")} →</button>
        <span className="search">
          <input data-testid="preview-search" type="search" placeholder={t("preview.search")} value={search} onChange={(e) => setSearch(e.target.value)} />
          {found.length > 0 && (
            <ul className="found" role="listbox">
              {found.map((c) => (
                <li key={c.id} role="option" aria-selected={false}>
                  <button className="link" data-testid="preview-found" onClick={() => jumpTo(c)}>
                    {c.name} <span className="muted">{c.email}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </span>
        <button onClick={() => setPosition(Math.floor(Math.random() * total))}>{t("preview.random")}</button>
        <button onClick={() => setGrid(!grid)}>{grid ? t("preview.single") : t("preview.grid")}</button>
        <span className="muted">{t("preview.keys")}</span>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      <div className={grid ? "grid" : "single"}>
        {shown.map(({ customer, email, campaign: place }) => (
          <div key={customer.id} className="card" data-testid="preview-card">
            <div className="who">#{customer.id} {customer.name} <span className="muted">{customer.email}</span></div>
            {place && <div className="muted" data-testid="preview-variant">{placeOf(place)}</div>}
            {email && <EmailFrame email={email} width={grid ? 390 : 800} height={grid ? 520 : 700} />}
          </div>
        ))}
      </div>
    </section>
  );
}
