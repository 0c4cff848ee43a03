// The storyboard editor's model: the document (storyboard.json, as the engine defines it) read
// loosely enough to draw its scene graph and edit a layer while the user types — the engine
// checks it in full on every edit — and the small steps the editor takes on it.

export type Box = { x: number; y: number; width: number; height: number };
export type TimeRange = { from: number; to: number };
export type TextStyle = { font?: string; size?: number; weight?: number; color?: string; align?: "left" | "center" | "right"; [other: string]: unknown };
export type LayerDoc = {
  id: string;
  type: "text" | "number" | "image" | "shape";
  box: Box;
  anchor?: string;
  time?: TimeRange | null;
  text?: string;
  field?: string | null;
  asset?: string | null;
  fill?: string;
  style?: TextStyle;
  [other: string]: unknown;
};
export type SceneDoc = {
  id: string;
  duration: number;
  layers?: LayerDoc[];
  next?: string | null;
  choices?: { label: string; scene: string; default?: boolean }[];
  hotspots?: { label: string; scene?: string | null; url?: string | null }[];
  call_to_action?: { label: string; url: string } | null;
  [other: string]: unknown;
};
export type StoryboardDoc = {
  canvas: { width: number; height: number; fps: number };
  start: string;
  chapters?: { title: string; scene: string }[];
  assets?: Record<string, unknown>;
  scenes: SceneDoc[];
  [other: string]: unknown;
};

/** The document, when it is JSON with a canvas and a list of scenes (else the editor shows the source only). */
export function parseDocument(text: string): StoryboardDoc | null {
  try {
    const doc = JSON.parse(text);
    const ok = typeof doc === "object" && doc !== null && Array.isArray(doc.scenes) && typeof doc.canvas === "object" && doc.canvas !== null;
    return ok && doc.scenes.every((s: unknown) => typeof s === "object" && s !== null && typeof (s as SceneDoc).id === "string") ? (doc as StoryboardDoc) : null;
  } catch {
    return null;
  }
}

/** The document as the starters are written: two-space JSON. */
export function documentText(doc: StoryboardDoc): string {
  return JSON.stringify(doc, null, 2) + "\n";
}

/** How the story moves on from a scene: its `next` (when it has no choices: then the viewer chooses), a choice, a hotspot. */
export type SceneEdge = { from: string; to: string; kind: "next" | "choice" | "hotspot"; label: string; isDefault: boolean };
export type SceneNode = { id: string; column: number; row: number; start: boolean; reachable: boolean; chapter: string | null };
export type SceneGraph = { nodes: SceneNode[]; edges: SceneEdge[]; columns: number; rows: number };

export function sceneEdges(scene: SceneDoc): SceneEdge[] {
  const choices = Array.isArray(scene.choices) ? scene.choices : [];
  const edges: SceneEdge[] = choices.map((c) => ({ from: scene.id, to: c.scene, kind: "choice", label: c.label ?? "", isDefault: c.default === true }));
  if (choices.length === 0 && typeof scene.next === "string") edges.push({ from: scene.id, to: scene.next, kind: "next", label: "", isDefault: true });
  for (const h of Array.isArray(scene.hotspots) ? scene.hotspots : []) {
    if (typeof h.scene === "string") edges.push({ from: scene.id, to: h.scene, kind: "hotspot", label: h.label ?? "", isDefault: false });
  }
  return edges;
}

/**
 * The scenes laid out in columns by how many steps they are from the start (breadth first, so
 * the story reads left to right), the scenes no path reaches in a last column; edges to scenes
 * that do not exist are left out (the check names them).
 */
export function sceneGraph(doc: StoryboardDoc): SceneGraph {
  const ids = new Set(doc.scenes.map((s) => s.id));
  const edges = doc.scenes.flatMap(sceneEdges).filter((e) => ids.has(e.to));
  const column = new Map<string, number>();
  const queue = ids.has(doc.start) ? [doc.start] : [];
  if (queue.length) column.set(doc.start, 0);
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of edges) {
      if (e.from === id && !column.has(e.to)) {
        column.set(e.to, column.get(id)! + 1);
        queue.push(e.to);
      }
    }
  }
  const last = column.size ? Math.max(...column.values()) + 1 : 0;
  const rows = new Map<number, number>();
  const chapters = Array.isArray(doc.chapters) ? doc.chapters : [];
  const nodes = doc.scenes.map((s) => {
    const reachable = column.has(s.id);
    const c = reachable ? column.get(s.id)! : last;
    const row = rows.get(c) ?? 0;
    rows.set(c, row + 1);
    return { id: s.id, column: c, row, start: s.id === doc.start, reachable, chapter: chapters.find((ch) => ch.scene === s.id)?.title ?? null };
  });
  return { nodes, edges, columns: Math.max(...nodes.map((n) => n.column + 1), 0), rows: Math.max(...rows.values(), 0) };
}

const ANCHORS: Record<string, [number, number]> = {
  top_left: [0, 0], top: [0.5, 0], top_right: [1, 0],
  left: [0, 0.5], center: [0.5, 0.5], right: [1, 0.5],
  bottom_left: [0, 1], bottom: [0.5, 1], bottom_right: [1, 1],
};
export const ANCHOR_NAMES = Object.keys(ANCHORS);

/** Where a layer's box is on the frame, in percent of the canvas (its anchor is the point `x`, `y` place). */
export function layerOutline(layer: LayerDoc, canvas: StoryboardDoc["canvas"]) {
  const [ax, ay] = ANCHORS[layer.anchor ?? "top_left"] ?? [0, 0];
  const b = layer.box;
  return {
    left: (100 * (b.x - ax * b.width)) / canvas.width,
    top: (100 * (b.y - ay * b.height)) / canvas.height,
    width: (100 * b.width) / canvas.width,
    height: (100 * b.height) / canvas.height,
  };
}

/** The document with one layer of one scene changed (nothing else is touched). */
export function withLayer(doc: StoryboardDoc, sceneId: string, layerId: string, change: (layer: LayerDoc) => LayerDoc): StoryboardDoc {
  return {
    ...doc,
    scenes: doc.scenes.map((s) => (s.id !== sceneId ? s : { ...s, layers: (s.layers ?? []).map((l) => (l.id === layerId ? change(l) : l)) })),
  };
}

/** A number the user typed into a property, or null while it is not one yet (`-`, empty). */
export function typedNumber(text: string): number | null {
  if (text.trim() === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}
