// Conditions in words, in the user's language: the funnel's labels. Mirrors the engine's
// `segments::describe`, which speaks English for the CLI.
import type { TFunction } from "i18next";
import type { Condition, DateOp, Group } from "../../lib/bindings";

const SIGNS: Record<string, string> = { eq: "=", ne: "≠", gt: ">", gte: "≥", lt: "<", lte: "≤" };

function dateWords(op: DateOp, t: TFunction): string {
  return op.date === "before" || op.date === "after"
    ? t(`describe.date.${op.date}`, { value: op.value })
    : t(`describe.date.${op.date}`, { days: op.days });
}

/** A condition as the funnel shows it. */
/** A list as a label: the first few, then how many more (a list may hold thousands). */
function list(values: string[], t: TFunction): string {
  const shown = values.slice(0, 5).join(", ");
  return values.length > 5 ? t("describe.more", { first: shown, count: values.length - 5 }) : shown;
}

export function describe(condition: Condition, t: TFunction): string {
  // Loose access: each branch reads the fields of its own condition type.
  const c = condition as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const or = t("describe.or");
  switch (condition.type) {
    case "field": {
      const field = String(c.field).replace(/^attributes\./, "");
      switch (c.op) {
        case "in":
          return t("describe.field.in", { field, values: list(c.values, t) });
        case "compare":
          return t("describe.field.compare", { field, sign: SIGNS[c.compare], value: c.value });
        case "between":
          return t("describe.field.between", { field, min: c.min, max: c.max });
        case "date":
          return `${field} ${dateWords(c as DateOp, t)}`;
        default:
          return t(`describe.field.${c.op}`, { field, value: c.value });
      }
    }
    case "tags":
      return t(`describe.tags.${c.op}`, { tags: list(c.tags, t) });
    case "consent":
      return t("describe.consent", { channel: t(`segments.channel.${c.channel}`, { defaultValue: c.channel }), status: t(`describe.consentStatus.${c.status}`) });
    case "event": {
      const what = t(`describe.measure.${c.measure ?? "count"}`, { type: c.event_type });
      const filter = c.property ? t("describe.withProperty", { name: c.property.name, value: c.property.equals }) : "";
      const window = c.window ?? "ever";
      const when = window === "ever" ? "" : "last_days" in window
        ? t("describe.lastDays", { days: window.last_days })
        : t("describe.betweenDates", { from: window.between.from, to: window.between.to });
      return `${what}${filter}${when} ${SIGNS[c.compare]} ${c.value}`;
    }
    case "occurrence":
      return t("describe.occurrence", { which: t(`describe.${c.which}`), type: c.event_type, when: dateWords(c as DateOp, t) });
    case "score":
      return `${t(`describe.scores.${c.score}`)} ${SIGNS[c.compare]} ${c.value}`;
    case "rfm_group":
      return t("describe.rfm", { groups: c.groups.map((g: string) => t(`rfmGroups.${g}`)).join(or) });
    case "band":
      return t("describe.band", { score: t(`segments.bandScore.${c.score}`), bands: c.bands.map((b: string) => t(`segments.band.${b}`)).join(or) });
    case "segment":
      return t("describe.segment", { name: c.name });
    case "campaign": {
      const who = c.arm === "holdout" ? t("describe.campaign.heldOut", { campaign: c.campaign }) : c.arm ? t("describe.campaign.variant", { campaign: c.campaign, variant: c.arm }) : t("describe.campaign.received", { campaign: c.campaign });
      return c.converted === true ? t("describe.campaign.converted", { who }) : c.converted === false ? t("describe.campaign.notConverted", { who }) : who;
    }
    case "group": {
      const group = condition as Condition & Group;
      const inner = (group.conditions ?? []).map((x) => describe(x, t)).join(group.match === "any" ? or : t("describe.and"));
      return group.not ? t("describe.not", { inner }) : `(${inner})`;
    }
  }
}
