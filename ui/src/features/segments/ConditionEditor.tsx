import { useTranslation } from "react-i18next";
import type { AttributeInfo, Condition } from "../../lib/bindings";
import { BANDS, defaultOp, RFM_GROUPS, splitList } from "./ruleModel";

type Props = { condition: Condition; fields: AttributeInfo[]; savedSegments: string[]; onChange: (c: Condition) => void };
// Editors work on the condition as loose data and hand back the typed condition.
type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const COMPARES = ["gte", "gt", "eq", "ne", "lte", "lt"] as const;
const COMPARE_SIGNS: Record<string, string> = { gte: "≥", gt: ">", eq: "=", ne: "≠", lte: "≤", lt: "<" };
const TEXT_OPS = ["equals", "not_equals", "contains", "starts_with", "in", "is_set", "not_set"];
const SCORES = ["r", "f", "m", "recency_days", "frequency", "monetary", "p_alive", "expected_purchases", "expected_value", "value", "attrition", "potential"];

export function ConditionEditor({ condition, fields, savedSegments, onChange }: Props) {
  const { t } = useTranslation();
  const c = condition as Loose;
  const set = (patch: Loose) => onChange({ ...c, ...patch } as Condition);
  const compare = (
    <>
      <select aria-label="compare" value={c.compare} onChange={(e) => set({ compare: e.target.value })}>
        {COMPARES.map((x) => <option key={x} value={x}>{COMPARE_SIGNS[x]}</option>)}
      </select>
      <input aria-label="value" type="number" value={c.value} onChange={(e) => set({ value: Number(e.target.value) })} />
    </>
  );
  switch (c.type) {
    case "field": {
      const field = fields.find((f) => f.name === c.field.replace(/^attributes\./, ""));
      const type = field?.type ?? "text";
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.field")}</span>
          <select aria-label="field" value={c.field} onChange={(e) => {
            const next = fields.find((f) => f.name === e.target.value);
            onChange({ type: "field", field: e.target.value, ...defaultOp(next?.type ?? "text") } as Condition);
          }}>
            {fields.map((f) => <option key={f.name} value={f.name}>{f.name}</option>)}
          </select>
          {type === "number" && (
            <>
              <select aria-label="operator" value={c.op} onChange={(e) => set(e.target.value === "between" ? { op: "between", min: 0, max: 100 } : { op: "compare", compare: "gte", value: 0 })}>
                <option value="compare">compare</option>
                <option value="between">between</option>
              </select>
              {c.op === "between" ? (
                <>
                  <input aria-label="min" type="number" value={c.min} onChange={(e) => set({ min: Number(e.target.value) })} />
                  <input aria-label="max" type="number" value={c.max} onChange={(e) => set({ max: Number(e.target.value) })} />
                </>
              ) : compare}
            </>
          )}
          {type === "bool" && (
            <select aria-label="operator" value={c.op} onChange={(e) => set({ op: e.target.value })}>
              <option value="is_true">yes</option>
              <option value="is_false">no</option>
            </select>
          )}
          {type === "date" && <DateOpEditor c={c} set={(patch) => set({ op: "date", ...patch })} />}
          {(type === "text" || type === "json") && (
            <>
              <select aria-label="operator" value={c.op} onChange={(e) => set(e.target.value === "in" ? { op: "in", values: [] } : { op: e.target.value, value: c.value ?? "" })}>
                {TEXT_OPS.map((op) => <option key={op} value={op}>{op.replaceAll("_", " ")}</option>)}
              </select>
              {c.op === "in" ? (
                <input aria-label="values" value={(c.values ?? []).join(", ")} onChange={(e) => set({ values: splitList(e.target.value) })} />
              ) : c.op !== "is_set" && c.op !== "not_set" ? (
                <input aria-label="value" data-testid="field-value" value={c.value ?? ""} onChange={(e) => set({ value: e.target.value })} />
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
          <select aria-label="operator" value={c.op} onChange={(e) => set({ op: e.target.value })}>
            {["has_any", "has_all", "has_none"].map((op) => <option key={op} value={op}>{t(`describe.tags.${op}`, { tags: "…" })}</option>)}
          </select>
          <input aria-label="tags" data-testid="tags-value" defaultValue={c.tags.join(", ")} onChange={(e) => set({ tags: splitList(e.target.value) })} />
        </span>
      );
    case "consent":
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.consent")}</span>
          <select aria-label="channel" value={c.channel} onChange={(e) => set({ channel: e.target.value })}>
            {["email", "sms", "push"].map((x) => <option key={x}>{x}</option>)}
          </select>
          <select aria-label="status" value={c.status} onChange={(e) => set({ status: e.target.value })}>
            {["granted", "revoked", "unknown"].map((x) => <option key={x} value={x}>{t(`describe.consentStatus.${x}`)}</option>)}
          </select>
        </span>
      );
    case "event": {
      const days = typeof c.window === "object" && c.window && "last_days" in c.window ? c.window.last_days : null;
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.event")}</span>
          <select aria-label="measure" value={c.measure} onChange={(e) => set({ measure: e.target.value })}>
            {["count", "sum", "average"].map((x) => <option key={x}>{x}</option>)}
          </select>
          <input aria-label="event type" value={c.event_type} onChange={(e) => set({ event_type: e.target.value })} />
          <input aria-label="property" placeholder="category" value={c.property?.name ?? ""} onChange={(e) => set({ property: e.target.value ? { name: e.target.value, equals: c.property?.equals ?? "" } : undefined })} />
          {c.property && <input aria-label="property value" value={c.property.equals} onChange={(e) => set({ property: { ...c.property, equals: e.target.value } })} />}
          <label>
            <input type="checkbox" checked={days !== null} onChange={(e) => set({ window: e.target.checked ? { last_days: 90 } : "ever" })} /> last
          </label>
          {days !== null && <input aria-label="days" type="number" min={0} value={days} onChange={(e) => set({ window: { last_days: Math.max(0, Number(e.target.value)) } })} />}
          {compare}
        </span>
      );
    }
    case "score":
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.score")}</span>
          <select aria-label="score" value={c.score} onChange={(e) => set({ score: e.target.value })}>
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
          <select aria-label="first or last" value={c.which} onChange={(e) => set({ which: e.target.value })}>
            {["first", "last"].map((w) => <option key={w} value={w}>{t(`describe.${w}`)}</option>)}
          </select>
          <input aria-label="event type" value={c.event_type} onChange={(e) => set({ event_type: e.target.value })} />
          <DateOpEditor c={c} set={set} />
        </span>
      );
    case "band":
      return (
        <span className="editor">
          <span className="kind">{t("segments.type.band")}</span>
          <select aria-label="band score" value={c.score} onChange={(e) => set({ score: e.target.value })}>
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
          <select aria-label="saved segment" data-testid="segment-ref" value={c.name} onChange={(e) => set({ name: e.target.value })}>
            {!savedSegments.includes(c.name) && <option value={c.name}>{c.name}</option>}
            {savedSegments.map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </span>
      );
    default:
      return <span className="editor mono">{JSON.stringify(condition)}</span>;
  }
}

const DATE_OPS = ["within_last_days", "within_next_days", "anniversary_within_days", "before", "after"];

/** A date test: within the last/next N days, recurring within N days, or before/after a date. */
function DateOpEditor({ c, set }: { c: Loose; set: (patch: Loose) => void }) {
  const { t } = useTranslation();
  const onDate = c.date === "before" || c.date === "after";
  return (
    <>
      <select aria-label="date test" value={c.date} onChange={(e) => {
        const date = e.target.value;
        set(date === "before" || date === "after"
          ? { date, value: c.value ?? new Date().toISOString().slice(0, 10), days: undefined }
          : { date, days: c.days ?? 30, value: undefined });
      }}>
        {DATE_OPS.map((d) => <option key={d} value={d}>{t(`describe.date.${d}`, { days: "N", value: "…" })}</option>)}
      </select>
      {onDate
        ? <input aria-label="date" type="date" value={c.value ?? ""} onChange={(e) => set({ value: e.target.value })} />
        : <input aria-label="days" type="number" min={0} value={c.days ?? 30} onChange={(e) => set({ days: Math.max(0, Number(e.target.value)) })} />}
    </>
  );
}
