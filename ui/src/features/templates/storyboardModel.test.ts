import { describe, expect, it } from "vitest";
// The starter as shipped, as text: the editor must write it back unchanged.
import starter from "../../../../templates/storyboard/picks-en/storyboard.json?raw";
import { documentText, layerOutline, parseDocument, sceneGraph, typedNumber, withLayer, type StoryboardDoc } from "./storyboardModel";

const picks = parseDocument(starter)!;

describe("the scene graph", () => {
  it("lays the story out left to right from the start, a choice per edge, the default marked", () => {
    const graph = sceneGraph(picks);
    const at = (id: string) => graph.nodes.find((n) => n.id === id)!;
    expect(at("intro")).toMatchObject({ column: 0, start: true, reachable: true, chapter: "Choose" });
    expect(["coffee", "tea", "skincare"].map((id) => at(id).column)).toEqual([1, 1, 1]);
    expect(["coffee", "tea", "skincare"].map((id) => at(id).row)).toEqual([0, 1, 2]);
    expect(at("end").column).toBe(2);
    const choices = graph.edges.filter((e) => e.kind === "choice");
    expect(choices.map((e) => [e.to, e.isDefault])).toEqual([["coffee", true], ["tea", false], ["skincare", false]]);
    expect(graph.edges.filter((e) => e.kind === "next").map((e) => `${e.from}→${e.to}`)).toEqual(["coffee→end", "tea→end", "skincare→end"]);
    expect(graph).toMatchObject({ columns: 3, rows: 3 });
  });

  it("puts scenes no path reaches in a last column and drops edges to scenes that do not exist", () => {
    const doc: StoryboardDoc = {
      ...picks,
      scenes: [
        ...picks.scenes.map((s) => (s.id === "end" ? { ...s, next: "nowhere" } : s)),
        { id: "orphan", duration: 2, hotspots: [{ label: "Back", scene: "intro" }] },
      ],
    };
    const graph = sceneGraph(doc);
    expect(graph.nodes.find((n) => n.id === "orphan")).toMatchObject({ column: 3, reachable: false });
    expect(graph.edges.some((e) => e.to === "nowhere")).toBe(false);
    expect(graph.edges.find((e) => e.from === "orphan")).toMatchObject({ kind: "hotspot", to: "intro", label: "Back" });
  });

  it("ignores `next` on a scene with choices, as the player does", () => {
    const doc = { ...picks, scenes: picks.scenes.map((s) => (s.id === "intro" ? { ...s, next: "end" } : s)) };
    expect(sceneGraph(doc).edges.some((e) => e.from === "intro" && e.kind === "next")).toBe(false);
  });

  it("survives a start that names no scene", () => {
    const graph = sceneGraph({ ...picks, start: "missing" });
    expect(graph.nodes.every((n) => !n.reachable && n.column === 0)).toBe(true);
  });
});

describe("editing a layer", () => {
  it("changes that layer only and writes the document as the starters are written", () => {
    const edited = withLayer(picks, "coffee", "title", (l) => ({ ...l, text: "Hi 王芳 👋" }));
    expect(edited.scenes.find((s) => s.id === "coffee")!.layers!.find((l) => l.id === "title")!.text).toBe("Hi 王芳 👋");
    expect(edited.scenes.find((s) => s.id === "tea")).toBe(picks.scenes.find((s) => s.id === "tea"));
    expect(documentText(picks)).toBe(starter);
  });

  it("outlines a box from its anchor", () => {
    const canvas = { width: 1280, height: 720, fps: 30 };
    const box = { x: 640, y: 360, width: 640, height: 360 };
    expect(layerOutline({ id: "a", type: "text", box, anchor: "center" }, canvas)).toEqual({ left: 25, top: 25, width: 50, height: 50 });
    expect(layerOutline({ id: "a", type: "text", box }, canvas)).toEqual({ left: 50, top: 50, width: 50, height: 50 });
    expect(layerOutline({ id: "a", type: "text", box, anchor: "bottom_right" }, canvas)).toMatchObject({ left: 0, top: 0 });
  });

  it("takes only finished numbers", () => {
    expect([typedNumber("12.5"), typedNumber("-"), typedNumber(""), typedNumber("1e3"), typedNumber("abc")]).toEqual([12.5, null, null, 1000, null]);
  });

  it("reads only documents it can draw a graph of", () => {
    expect([parseDocument("{"), parseDocument("[]"), parseDocument('{"canvas":{},"scenes":[1]}'), parseDocument('{"scenes":[]}')]).toEqual([null, null, null, null]);
  });
});
