// Editing a segment rule as data: the same typed rule the engine compiles (generated types), with
// pure helpers the editor calls, so the editing logic is tested without a window.
import type { AttributeInfo, Condition, Group, Rule } from "../../lib/bindings";

export type ConditionType = "field" | "tags" | "consent" | "event" | "occurrence" | "score" | "rfm_group" | "band" | "segment" | "campaign" | "group";
export const CONDITION_TYPES: ConditionType[] = ["field", "tags", "consent", "event", "occurrence", "score", "rfm_group", "band", "segment", "campaign", "group"];
export const BANDS = ["low", "medium", "high"];
export const RFM_GROUPS = ["Champions", "Loyal", "Potential loyalists", "New", "At risk", "Can't lose", "Hibernating", "Lost"];
export const BUILTIN_FIELDS: AttributeInfo[] = ["email", "first_name", "last_name", "phone", "locale"].map((name) => ({ name, type: "text" }));

/** A path to a condition: indexes from the root group down. */
export type Path = number[];

export function emptyRule(): Rule {
  return { version: 1, match: "all", conditions: [] };
}

/** A new condition of `type` with sensible defaults (the first field, the last 90 days…). */
export function newCondition(type: ConditionType, fields: AttributeInfo[], savedSegments: string[] = [], campaigns: string[] = []): Condition {
  switch (type) {
    case "field": {
      const field = fields[0] ?? BUILTIN_FIELDS[0];
      return { type: "field", field: field.name, ...defaultOp(field.type) } as Condition;
    }
    case "tags":
      return { type: "tags", op: "has_any", tags: [] };
    case "consent":
      return { type: "consent", channel: "email", status: "granted" };
    case "event":
      return { type: "event", event_type: "purchase", measure: "count", window: { last_days: 90 }, compare: "gte", value: 1 } as Condition;
    case "occurrence":
      return { type: "occurrence", event_type: "purchase", which: "last", date: "within_last_days", days: 30 } as Condition;
    case "score":
      return { type: "score", score: "r", compare: "gte", value: 4 };
    case "rfm_group":
      return { type: "rfm_group", groups: ["Champions"] };
    case "band":
      return { type: "band", score: "attrition", bands: ["high"] };
    case "segment":
      return { type: "segment", name: savedSegments[0] ?? "" };
    case "campaign":
      return { type: "campaign", campaign: campaigns[0] ?? "", arm: null, converted: null };
    case "group":
      return { type: "group", match: "any", conditions: [] } as Condition;
  }
}

/** The operator a field of this type starts with. */
export function defaultOp(type: string): Record<string, unknown> {
  switch (type) {
    case "number":
      return { op: "compare", compare: "gte", value: 0 };
    case "bool":
      return { op: "is_true" };
    case "date":
      return { op: "date", date: "within_last_days", days: 30 };
    default:
      return { op: "equals", value: "" };
  }
}

function children(group: Group): Condition[] {
  return group.conditions ?? [];
}

/** Replaces (or, with `null`, removes) the condition at `path`, returning a new rule. */
export function setCondition<G extends Group>(group: G, path: Path, next: Condition | null): G {
  const [head, ...rest] = path;
  const list = [...children(group)];
  if (rest.length === 0) {
    if (next === null) list.splice(head, 1);
    else list[head] = next;
  } else {
    const inner = list[head];
    if (inner?.type !== "group") return group;
    list[head] = setCondition(inner as Condition & Group, rest, next);
  }
  return { ...group, conditions: list };
}

/** Appends `condition` to the group at `path` (the root group for `[]`). */
export function addCondition<G extends Group>(group: G, path: Path, condition: Condition): G {
  if (path.length === 0) return { ...group, conditions: [...children(group), condition] };
  const [head, ...rest] = path;
  const inner = children(group)[head];
  if (inner?.type !== "group") return group;
  return setCondition(group, [head], addCondition(inner as Condition & Group, rest, condition));
}

/** Splits a user's list ("vip, new；b2b") into trimmed items, as the importer splits tags. */
export function splitList(text: string): string[] {
  return text
    .split(/[,;，；、]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Why a condition cannot be counted yet: the part the user still has to fill in. */
export type Unfinished = "eventType" | "propertyValue" | "tags" | "values" | "value" | "date" | "segment" | "campaign" | "groups" | "bands" | "group";

const blank = (text: unknown) => typeof text !== "string" || text.trim() === "";

/**
 * What is missing from a condition still being written (an event with no type, an empty tag
 * list, a group with nothing in it…), or `null` when it is complete. Counted as it stands, such a
 * condition would match nobody (or everybody), which says nothing about the segment.
 */
export function unfinished(condition: Condition): Unfinished | null {
  const c = condition as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const date = () => ((c.date === "before" || c.date === "after") && blank(c.value) ? "date" : null);
  switch (condition.type) {
    case "field":
      if (c.op === "in") return (c.values ?? []).length === 0 ? "values" : null;
      if (c.op === "equals" || c.op === "contains" || c.op === "starts_with") return blank(c.value) ? "value" : null;
      return c.op === "date" ? date() : null;
    case "tags":
      return condition.tags.length === 0 ? "tags" : null;
    case "event":
      if (blank(condition.event_type)) return "eventType";
      return condition.property && !blank(condition.property.name) && blank(condition.property.equals) ? "propertyValue" : null;
    case "occurrence":
      return blank(condition.event_type) ? "eventType" : date();
    case "segment":
      return blank(condition.name) ? "segment" : null;
    case "campaign":
      return blank(condition.campaign) ? "campaign" : null;
    case "rfm_group":
      return condition.groups.length === 0 ? "groups" : null;
    case "band":
      return condition.bands.length === 0 ? "bands" : null;
    case "group":
      return children(condition as Condition & Group).length === 0 ? "group" : null;
    default:
      return null;
  }
}

/** The complete conditions of a group, at every depth; a group left with none is dropped too. */
function finishedGroup<G extends Group>(group: G): G {
  const kept: Condition[] = [];
  for (const c of children(group)) {
    if (unfinished(c)) continue;
    if (c.type !== "group") {
      kept.push(c);
      continue;
    }
    const inner = finishedGroup(c as Condition & Group);
    if (children(inner).length > 0) kept.push(inner);
  }
  return { ...group, conditions: kept };
}

/** The rule as it is counted: without the conditions still being written (see `unfinished`). */
export function finishedRule(rule: Rule): Rule {
  return finishedGroup(rule);
}

/** How many conditions `finishedRule` leaves out (a group whose conditions are all unfinished counts them, not itself). */
export function unfinishedCount(group: Group): number {
  return children(group).reduce((n, c) => {
    if (c.type === "group" && children(c as Condition & Group).length > 0) return n + unfinishedCount(c as Condition & Group);
    return n + (unfinished(c) ? 1 : 0);
  }, 0);
}
