import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { AttributeInfo, Condition } from "../../lib/bindings";
import { backend } from "../../lib/backend";
import { BANDS, defaultOp, RFM_GROUPS, splitList } from "./ruleModel";

type Props = { condition: Condition; fields: AttributeInfo[]; savedSegments: string[]; campaigns: string[]; onChange: (c: Condition) => void };
// Editors work on the condition as loose data and hand back the typed condition.
type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const COMPARES = ["gte", "gt", "eq", "ne", "lte", "lt"] as const;
const COMPARE_SIGNS: Record<string, string> = { gte: "≥", gt: ">", eq: "=", ne: "≠", lte: "≤", lt: "<" };
const CHANNELS = ["email", "sms", "push"];
const TEXT_OPS = ["equals", "not_equals", "contains", "starts_with", "in", "is_set", "not_set"];
const SCORES = ["r", "f", "m", "recency_days", "frequency", "monetary", "p_alive", "expected_purchases", "expected_value", "value", "attrition", "potential"];

export function ConditionEditor({ condition, fields, savedSegments, campaigns, onChange }: Props) {
  const { t } = useTranslation();
  const c = condition as Loose;
  const set = (patch: Loose) => onChange({ ...c, ...patch } as Condition);
  const compare = (
    <>
      <select aria-label={t("segments.editor.aria.compare")} value={c.compare} onChange={(e) => set({ compare: e.target.value })}>
        {COMPARES.map((x) => <option key={x} value={x}>{COMPARE_SIGNS[x]}</option>)}
      </select>
      <input aria-label={t("segments.editor.aria.value")} type="number" value={c.value ?? ""} onChange={(e) => set({ value: Number(e.target.value) })} />
    </>
  );
  switch (c.type) {
    case "field": {
      const field = fields.find((f) => f.name === c.field.replace(/^attributes\./, ""));
      const type = field?.type ?? "text";
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.field")}</span>
          <select aria-label={t("segments.editor.aria.field")} value={c.field} onChange={(e) => {
            const next = fields.find((f) => f.name === e.target.value);
            onChange({ type: "field", field: e.target.value, ...defaultOp(next?.type ?? "text") } as Condition);
          }}>
            {fields.map((f) => <option key={f.name} value={f.name}>{f.name}</option>)}
          </select>
          {type === "number" && (
            <>
              <select aria-label={t("segments.editor.aria.operator")} value={c.op} onChange={(e) => set(e.target.value === "between" ? { op: "between", min: 0, max: 100, compare: undefined, value: undefined } : { op: "compare", compare: "gte", value: 0, min: undefined, max: undefined })}>
                {["compare", "between"].map((op) => <option key={op} value={op}>{t(`segments.editor.numberOp.${op}`)}</option>)}
              </select>
              {c.op === "between" ? (
                <>
                  <label>
                    {t("segments.editor.min")}{" "}
                    <input aria-label={t("segments.editor.aria.min")} type="number" value={c.min ?? ""} onChange={(e) => set({ min: Number(e.target.value) })} />
                  </label>
                  <label>
                    {t("segments.editor.max")}{" "}
                    <input aria-label={t("segments.editor.aria.max")} type="number" value={c.max ?? ""} onChange={(e) => set({ max: Number(e.target.value) })} />
                  </label>
                </>
              ) : compare}
            </>
          )}
          {type === "bool" && (
            <select aria-label={t("segments.editor.aria.operator")} value={c.op} onChange={(e) => set({ op: e.target.value })}>
              {["is_true", "is_false"].map((op) => <option key={op} value={op}>{t(`segments.editor.bool.${op}`)}</option>)}
            </select>
          )}
          {type === "date" && <DateOpEditor c={c} set={(patch) => set({ op: "date", ...patch })} />}
          {(type === "text" || type === "json") && (
            <>
              <select aria-label={t("segments.editor.aria.operator")} value={c.op} onChange={(e) => set(e.target.value === "in" ? { op: "in", values: [], value: undefined } : e.target.value === "is_set" || e.target.value === "not_set" ? { op: e.target.value, value: undefined, values: undefined } : { op: e.target.value, value: c.value ?? "", values: undefined })}>
                {TEXT_OPS.map((op) => <option key={op} value={op}>{t(`segments.editor.textOp.${op}`)}</option>)}
              </select>
              {c.op === "in" ? (
                <ListInput aria-label={t("segments.editor.aria.values")} values={c.values ?? []} onChange={(values) => set({ values })} />
              ) : c.op !== "is_set" && c.op !== "not_set" ? (
                <input aria-label={t("segments.editor.aria.value")} data-testid="field-value" value={c.value ?? ""} onChange={(e) => set({ value: e.target.value })} />
              ) : null}
            </>
          )}
        </span>
      );
    }
    case "tags":
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.tags")}</span>
          <select aria-label={t("segments.editor.aria.operator")} value={c.op} onChange={(e) => set({ op: e.target.value })}>
            {["has_any", "has_all", "has_none"].map((op) => <option key={op} value={op}>{t(`describe.tags.${op}`, { tags: "…" })}</option>)}
          </select>
          <ListInput aria-label={t("segments.editor.aria.tags")} data-testid="tags-value" values={c.tags} onChange={(tags) => set({ tags })} />
        </span>
      );
    case "consent":
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.consent")}</span>
          <select aria-label={t("segments.editor.aria.channel")} value={c.channel} onChange={(e) => set({ channel: e.target.value })}>
            {!CHANNELS.includes(c.channel) && <option value={c.channel}>{c.channel}</option>}
            {CHANNELS.map((x) => <option key={x} value={x}>{t(`segments.channel.${x}`)}</option>)}
          </select>
          <select aria-label={t("segments.editor.aria.status")} value={c.status} onChange={(e) => set({ status: e.target.value })}>
            {["granted", "revoked", "unknown"].map((x) => <option key={x} value={x}>{t(`describe.consentStatus.${x}`)}</option>)}
          </select>
        </span>
      );
    case "event": {
      const days = typeof c.window === "object" && c.window && "last_days" in c.window ? c.window.last_days : null;
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.event")}</span>
          <select aria-label={t("segments.editor.aria.measure")} value={c.measure ?? "count"} onChange={(e) => set({ measure: e.target.value })}>
            {["count", "sum", "average"].map((x) => <option key={x} value={x}>{t(`segments.editor.measure.${x}`)}</option>)}
          </select>
          <EventTypeInput value={c.event_type} onChange={(event_type) => set({ event_type })} />
          <label>
            {t("segments.editor.where")}{" "}
            <input aria-label={t("segments.editor.aria.property")} placeholder={t("segments.editor.propertyPlaceholder")} value={c.property?.name ?? ""} onChange={(e) => set({ property: e.target.value ? { name: e.target.value, equals: c.property?.equals ?? "" } : undefined })} />
          </label>
          {c.property && (
            <label>
              {t("segments.editor.propertyIs")}{" "}
              <input aria-label={t("segments.editor.aria.propertyValue")} placeholder={t("segments.editor.propertyValuePlaceholder")} value={c.property.equals} onChange={(e) => set({ property: { ...c.property, equals: e.target.value } })} />
            </label>
          )}
          <label>
            <input type="checkbox" aria-label={t("segments.editor.aria.window")} checked={days !== null} onChange={(e) => set({ window: e.target.checked ? { last_days: 90 } : "ever" })} /> {t("segments.editor.inLast")}
          </label>
          {days !== null && <DaysInput days={days} onChange={(last_days) => set({ window: { last_days } })} />}
          {compare}
        </span>
      );
    }
    case "score":
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.score")}</span>
          <select aria-label={t("segments.editor.aria.score")} value={c.score} onChange={(e) => set({ score: e.target.value })}>
            {SCORES.map((s) => <option key={s} value={s}>{t(`describe.scores.${s}`)}</option>)}
          </select>
          {compare}
        </span>
      );
    case "rfm_group":
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.rfm_group")}</span>
          {RFM_GROUPS.map((g) => (
            <label key={g} className="check">
              <input type="checkbox" checked={c.groups.includes(g)} onChange={(e) => set({ groups: e.target.checked ? [...c.groups, g] : c.groups.filter((x: string) => x !== g) })} />
              {t(`rfmGroups.${g}`)}
            </label>
          ))}
        </span>
      );
    case "occurrence":
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.occurrence")}</span>
          <select aria-label={t("segments.editor.aria.which")} value={c.which} onChange={(e) => set({ which: e.target.value })}>
            {["first", "last"].map((w) => <option key={w} value={w}>{t(`describe.${w}`)}</option>)}
          </select>
          <EventTypeInput value={c.event_type} onChange={(event_type) => set({ event_type })} />
          <DateOpEditor c={c} set={set} />
        </span>
      );
    case "band":
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.band")}</span>
          <select aria-label={t("segments.editor.aria.bandScore")} value={c.score} onChange={(e) => set({ score: e.target.value })}>
            {["value", "attrition", "potential"].map((s) => <option key={s} value={s}>{t(`segments.bandScore.${s}`)}</option>)}
          </select>
          {BANDS.map((b) => (
            <label key={b} className="check">
              <input type="checkbox" checked={c.bands.includes(b)} onChange={(e) => set({ bands: e.target.checked ? [...c.bands, b] : c.bands.filter((x: string) => x !== b) })} />
              {t(`segments.band.${b}`)}
            </label>
          ))}
        </span>
      );
    case "segment":
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.segment")}</span>
          <select aria-label={t("segments.editor.aria.savedSegment")} data-testid="segment-ref" value={c.name} onChange={(e) => set({ name: e.target.value })}>
            {!savedSegments.includes(c.name) && <option value={c.name}>{c.name || "—"}</option>}
            {savedSegments.map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </span>
      );
    case "campaign":
      return <CampaignConditionEditor c={c} campaigns={campaigns} set={set} />;
    default:
      return <span className="editor mono">{JSON.stringify(condition)}</span>;
  }
}

/** Who a campaign's latest run reached: its variant (or held out), and whether they converted. */
function CampaignConditionEditor({ c, campaigns, set }: { c: Loose; campaigns: string[]; set: (patch: Loose) => void }) {
  const { t } = useTranslation();
  const [variants, setVariants] = useState<string[]>([]);
  useEffect(() => {
    if (!c.campaign) return setVariants([]);
    let current = true;
    backend.campaignLoad(c.campaign).then((campaign) => current && setVariants(campaign.variants.map((v) => v.name)), () => current && setVariants([]));
    return () => {
      current = false;
    };
  }, [c.campaign]);
  const converted = c.converted === true ? "yes" : c.converted === false ? "no" : "any";
  return (
    <span className="editor">
      <span className="kind">{t("segments.type.campaign")}</span>
      <select aria-label={t("segments.editor.aria.campaign")} data-testid="segment-campaign" value={c.campaign} onChange={(e) => set({ campaign: e.target.value, arm: null })}>
        {!campaigns.includes(c.campaign) && <option value={c.campaign}>{c.campaign || "—"}</option>}
        {campaigns.map((name) => <option key={name} value={name}>{name}</option>)}
      </select>
      <select aria-label={t("segments.editor.aria.arm")} data-testid="segment-campaign-arm" value={c.arm ?? ""} onChange={(e) => set({ arm: e.target.value || null })}>
        <option value="">{t("segments.campaign.anyVariant")}</option>
        {variants.map((v) => <option key={v} value={v}>{t("segments.campaign.variant", { variant: v })}</option>)}
        <option value="holdout">{t("segments.campaign.heldOut")}</option>
      </select>
      <select aria-label={t("segments.editor.aria.converted")} data-testid="segment-campaign-converted" value={converted} onChange={(e) => set({ converted: e.target.value === "any" ? null : e.target.value === "yes" })}>
        <option value="any">{t("segments.campaign.convertedAny")}</option>
        <option value="yes">{t("segments.campaign.converted")}</option>
        <option value="no">{t("segments.campaign.notConverted")}</option>
      </select>
    </span>
  );
}

const DATE_OPS = ["within_last_days", "within_next_days", "anniversary_within_days", "before", "after"];

/** A date test: within the last/next N days, recurring within N days, or before/after a date. */
function DateOpEditor({ c, set }: { c: Loose; set: (patch: Loose) => void }) {
  const { t } = useTranslation();
  const onDate = c.date === "before" || c.date === "after";
  return (
    <>
      <select aria-label={t("segments.editor.aria.dateTest")} value={c.date} onChange={(e) => {
        const date = e.target.value;
        set(date === "before" || date === "after"
          ? { date, value: c.value ?? new Date().toISOString().slice(0, 10), days: undefined }
          : { date, days: c.days ?? 30, value: undefined });
      }}>
        {DATE_OPS.map((d) => <option key={d} value={d}>{t(`segments.editor.dateOp.${d}`)}</option>)}
      </select>
      {onDate
        ? <input aria-label={t("segments.editor.aria.date")} type="date" value={c.value ?? ""} onChange={(e) => set({ value: e.target.value })} />
        : <DaysInput days={c.days ?? 30} onChange={(days) => set({ days })} />}
    </>
  );
}

/** A number of days, with its unit shown after it ("in the last [90] days"). */
function DaysInput({ days, onChange }: { days: number; onChange: (days: number) => void }) {
  const { t } = useTranslation();
  return (
    <label>
      <input aria-label={t("segments.editor.aria.days")} type="number" min={0} value={days} onChange={(e) => onChange(Math.max(0, Number(e.target.value)))} />{" "}
      {t("segments.editor.daysUnit", { count: days })}
    </label>
  );
}

/** The event type an event condition is about, labelled as such. */
function EventTypeInput({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const { t } = useTranslation();
  return (
    <label>
      {t("segments.editor.eventType")}{" "}
      <input aria-label={t("segments.editor.aria.eventType")} data-testid="event-type" value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/**
 * A list typed as text ("vip, new"): keeps what the user typed (a trailing comma, spaces) while it
 * means the same list, and shows the list afresh when it changes from outside (a segment opened).
 */
function ListInput({ values, onChange, ...props }: { values: string[]; onChange: (values: string[]) => void; "aria-label": string; "data-testid"?: string }) {
  const { t } = useTranslation();
  const [text, setText] = useState(values.join(", "));
  const shown = splitList(text).join("\u0000") === values.join("\u0000") ? text : values.join(", ");
  return (
    <input
      {...props}
      placeholder={t("segments.editor.listPlaceholder")}
      value={shown}
      onChange={(e) => {
        setText(e.target.value);
        onChange(splitList(e.target.value));
      }}
    />
  );
}
