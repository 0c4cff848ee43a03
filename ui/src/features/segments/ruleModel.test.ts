import { describe, expect, it } from "vitest";
import { addCondition, emptyRule, newCondition, setCondition, splitList } from "./ruleModel";

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
