import { describe, expect, it } from "vitest";
import type { Condition, Rule } from "../../lib/bindings";
import { addCondition, emptyRule, finishedRule, newCondition, setCondition, splitList, unfinished, unfinishedCount } from "./ruleModel";

const fields = [{ name: "city", type: "text" }, { name: "points", type: "number" }];

describe("rule editing", () => {
  it("adds conditions to the root and to nested groups", () => {
    let rule = addCondition(emptyRule(), [], newCondition("group", fields));
    rule = addCondition(rule, [0], newCondition("tags", fields));
    rule = addCondition(rule, [], newCondition("consent", fields));
    expect(rule.conditions!.map((c) => c.type)).toEqual(["group", "consent"]);
    const group = rule.conditions![0] as { conditions: { type: string }[] };
    expect(group.conditions.map((c) => c.type)).toEqual(["tags"]);
  });

  it("replaces and removes by path without touching siblings", () => {
    let rule = addCondition(emptyRule(), [], newCondition("field", fields));
    rule = addCondition(rule, [], newCondition("score", fields));
    const before = rule.conditions![1];
    rule = setCondition(rule, [0], { type: "field", field: "city", op: "equals", value: "Paris" });
    expect(rule.conditions![0]).toMatchObject({ value: "Paris" });
    expect(rule.conditions![1]).toBe(before);
    rule = setCondition(rule, [0], null);
    expect(rule.conditions).toEqual([before]);
  });

  it("starts a number field with a comparison and a text field with equals", () => {
    expect(newCondition("field", fields)).toMatchObject({ field: "city", op: "equals" });
    expect(newCondition("field", [fields[1]])).toMatchObject({ field: "points", op: "compare", compare: "gte" });
  });

  it("splits lists on English and Chinese separators", () => {
    expect(splitList("vip, new；b2b、 ")).toEqual(["vip", "new", "b2b"]);
  });
});

describe("unfinished conditions", () => {
  const event = (patch: object) => ({ type: "event", event_type: "purchase", measure: "count", window: "ever", compare: "gte", value: 1, ...patch }) as Condition;
  const consent: Condition = { type: "consent", channel: "email", status: "granted" };

  it("are the ones with a part left to fill in", () => {
    const cases: [Condition, string | null][] = [
      [event({ event_type: "" }), "eventType"],
      [event({ event_type: "  " }), "eventType"],
      [event({ property: { name: "category", equals: "" } }), "propertyValue"],
      [event({ property: { name: "category", equals: "skincare" } }), null],
      [event({}), null],
      [{ type: "tags", op: "has_any", tags: [] }, "tags"],
      [{ type: "tags", op: "has_none", tags: ["vip"] }, null],
      [{ type: "field", field: "city", op: "in", values: [] }, "values"],
      [{ type: "field", field: "city", op: "equals", value: "" }, "value"],
      [{ type: "field", field: "city", op: "contains", value: "" }, "value"],
      [{ type: "field", field: "city", op: "starts_with", value: "" }, "value"],
      [{ type: "field", field: "city", op: "is_set" }, null],
      [{ type: "field", field: "city", op: "equals", value: "Paris" }, null],
      [{ type: "field", field: "birthday", op: "date", date: "before", value: "" } as Condition, "date"],
      [{ type: "occurrence", event_type: "", which: "last", date: "within_last_days", days: 30 }, "eventType"],
      [{ type: "segment", name: "" }, "segment"],
      [{ type: "rfm_group", groups: [] }, "groups"],
      [{ type: "band", score: "value", bands: [] }, "bands"],
      [{ type: "group", match: "any", conditions: [] } as Condition, "group"],
      [consent, null],
    ];
    expect(cases.map(([c]) => unfinished(c))).toEqual(cases.map(([, why]) => why));
  });

  it("are left out of the counted rule at every depth, and counted", () => {
    const rule: Rule = {
      version: 1,
      match: "all",
      conditions: [
        consent,
        { type: "tags", op: "has_any", tags: [] },
        { type: "group", match: "any", not: true, conditions: [event({ event_type: "" }), { type: "segment", name: "VIP" }] } as Condition,
        { type: "group", match: "any", conditions: [{ type: "rfm_group", groups: [] }, { type: "group", conditions: [] }] } as Condition,
      ],
    };
    expect(finishedRule(rule)).toEqual({
      version: 1,
      match: "all",
      conditions: [consent, { type: "group", match: "any", not: true, conditions: [{ type: "segment", name: "VIP" }] }],
    });
    expect(unfinishedCount(rule)).toBe(4);
    expect(rule.conditions).toHaveLength(4); // the rule being edited is untouched
  });

  it("leave a complete rule as it is", () => {
    const rule: Rule = { version: 1, match: "any", conditions: [consent, event({})] };
    expect(finishedRule(rule)).toEqual(rule);
    expect(unfinishedCount(rule)).toBe(0);
    expect(finishedRule(emptyRule())).toEqual(emptyRule());
  });

  it("include the new conditions that start empty", () => {
    expect(unfinished(newCondition("tags", fields))).toBe("tags");
    expect(unfinished(newCondition("group", fields))).toBe("group");
    expect(unfinished(newCondition("segment", fields, []))).toBe("segment");
    expect(unfinished(newCondition("campaign", fields, [], []))).toBe("campaign");
    expect(newCondition("campaign", fields, [], ["spring"])).toEqual({ type: "campaign", campaign: "spring", arm: null, converted: null });
    expect(unfinished(newCondition("consent", fields))).toBeNull();
    expect(unfinished(newCondition("event", fields))).toBeNull();
  });
});
