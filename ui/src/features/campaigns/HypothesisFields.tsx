import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Campaign, Hypothesis, HypothesisPlan, Split } from "../../lib/bindings";
import { backend } from "../../lib/backend";
import { FieldError, isWrong } from "../../lib/FieldError";
import { useNumber } from "../../lib/numbers";
import { armsCompared, CONVERSION_EVENTS, defaultHypothesis, isEventMetric, smallestArm } from "./experimentModel";

const RESULT_COLUMNS = ["converted", "clicked", "opened", "sent"] as const;

/**
 * The campaign's hypothesis, recorded before it runs: what decides (an event of the workspace or
 * a column of an email service's results), how long outcomes count, the control and the smallest
 * lift worth detecting — with the planner beside it: the customers each arm needs at the
 * workspace's own baseline, and a warning when the split gives fewer.
 */
export function HypothesisFields({ campaign, split, problem, edit }: { campaign: Campaign; split: Split | null; problem: unknown; edit: (next: Partial<Campaign>) => void }) {
  const { t } = useTranslation();
  const number = useNumber();
  const h = campaign.hypothesis ?? null;
  const [plan, setPlan] = useState<HypothesisPlan | null>(null);
  const arms = armsCompared(campaign);
  const perArm = split ? smallestArm(split, campaign) : 0;

  useEffect(() => {
    if (!h) return setPlan(null);
    let current = true;
    const timer = setTimeout(() => {
      backend.hypothesisPlan(h, arms, perArm).then((p) => current && setPlan(p), () => current && setPlan(null));
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [JSON.stringify(h), arms, perArm]); // eslint-disable-line react-hooks/exhaustive-deps -- the hypothesis by value

  const set = (next: Partial<Hypothesis>) => edit({ hypothesis: { ...(h ?? defaultHypothesis(campaign)), ...next } });
  const revenue = h?.measure === "revenue";

  return (
    <fieldset className="hypothesis" data-testid="campaign-hypothesis">
      <legend>{t("experiment.hypothesis")}</legend>
      <label className="inline">
        <input type="checkbox" data-testid="hypothesis-on" checked={h !== null} onChange={(e) => edit({ hypothesis: e.target.checked ? defaultHypothesis(campaign) : null })} />
        {t("experiment.record")}
      </label>
      {h && (
        <div className="form">
          <label>{t("experiment.statement")}
            <input data-testid="hypothesis-statement" value={h.statement ?? ""} placeholder={t("experiment.statementHint")} onChange={(e) => set({ statement: e.target.value })} />
          </label>
          <label>{t("experiment.source")}
            <select data-testid="hypothesis-source" value={isEventMetric(h) ? "event" : "result"} onChange={(e) => set(e.target.value === "event" ? { metric: { event: "purchase" } } : { metric: { result: "converted" }, control: campaign.variants[0]?.name ?? "" })}>
              <option value="event">{t("experiment.sourceEvent")}</option>
              <option value="result">{t("experiment.sourceResult")}</option>
            </select>
          </label>
          {isEventMetric(h) ? (
            <label>{t("experiment.event")}
              <input data-testid="hypothesis-event" list="hypothesis-events" aria-invalid={isWrong(problem, "hypothesis.metric")} value={h.metric.event} onChange={(e) => set({ metric: { event: e.target.value } })} />
              <datalist id="hypothesis-events">{CONVERSION_EVENTS.map((e) => <option key={e} value={e} />)}</datalist>
              <FieldError error={problem} field="hypothesis.metric" />
            </label>
          ) : (
            <label>{t("experiment.column")}
              <select data-testid="hypothesis-column" value={"result" in h.metric ? h.metric.result : "converted"} onChange={(e) => set({ metric: { result: e.target.value as (typeof RESULT_COLUMNS)[number] } })}>
                {RESULT_COLUMNS.map((c) => <option key={c} value={c}>{t(`experiment.columns.${c}`)}</option>)}
              </select>
            </label>
          )}
          <label>{t("experiment.measure")}
            <select data-testid="hypothesis-measure" value={h.measure ?? "conversion"} onChange={(e) => set({ measure: e.target.value as Hypothesis["measure"] })}>
              <option value="conversion">{t("experiment.measures.conversion")}</option>
              <option value="revenue">{t("experiment.measures.revenue")}</option>
            </select>
          </label>
          <label>{t("experiment.window")}
            <input data-testid="hypothesis-window" className="short" type="number" min="1" max="366" aria-invalid={isWrong(problem, "hypothesis.window_days")} value={h.window_days ?? 14} onChange={(e) => set({ window_days: Math.round(Number(e.target.value)) })} /> {t("experiment.days")}
            <FieldError error={problem} field="hypothesis.window_days" />
          </label>
          <label>{t("experiment.control")}
            <select data-testid="hypothesis-control" aria-invalid={isWrong(problem, "hypothesis.control")} value={h.control ?? "holdout"} onChange={(e) => set({ control: e.target.value })}>
              <option value="holdout">{t("campaigns.holdoutArm")}</option>
              {campaign.variants.map((v) => <option key={v.name} value={v.name}>{v.name}</option>)}
            </select>
            <FieldError error={problem} field="hypothesis.control" />
          </label>
          <label>{t(revenue ? "experiment.mdeRevenue" : "experiment.mde")}
            <input data-testid="hypothesis-mde" className="short" type="number" min="0" step={revenue ? "0.5" : "0.5"} aria-invalid={isWrong(problem, "hypothesis.mde")}
              value={h.mde === null || h.mde === undefined ? "" : revenue ? h.mde : Math.round(h.mde * 10000) / 100}
              onChange={(e) => set({ mde: e.target.value === "" ? null : revenue ? Number(e.target.value) : Number(e.target.value) / 100 })} /> {revenue ? "" : t("experiment.points")}
            <FieldError error={problem} field="hypothesis.mde" />
          </label>
          {plan && (
            <p data-testid="hypothesis-plan" className={plan.underpowered ? "warn-box" : "muted"}>
              {plan.baseline === null
                ? t("experiment.noBaseline")
                : t("experiment.baseline", { rate: number(plan.baseline * 100, 1), days: number(h.window_days ?? 14) })}
              {plan.needed_per_arm !== null && " " + t("experiment.needs", { n: number(plan.needed_per_arm), smallest: number(perArm) })}
              {plan.underpowered && " " + t("experiment.underpowered")}
              {plan.detectable_lift !== null && " " + t("experiment.detectable", { points: number(plan.detectable_lift * 100, 1) })}
            </p>
          )}
        </div>
      )}
    </fieldset>
  );
}
