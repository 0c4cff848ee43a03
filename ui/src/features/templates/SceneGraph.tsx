import { memo } from "react";
import { useTranslation } from "react-i18next";
import { sceneGraph, type SceneEdge, type StoryboardDoc } from "./storyboardModel";

const COLUMN = 220;
const ROW = 58;
const NODE = { width: 140, height: 40 };

/**
 * The storyboard's scenes as a graph, read left to right from the start: a button per scene
 * (the one shown is pressed), its choices, hotspots and what follows it as arrows. Choosing a
 * scene shows it in the frame and lists its layers.
 */
function SceneGraphView({ doc, selected, onSelect }: { doc: StoryboardDoc; selected: string; onSelect: (scene: string) => void }) {
  const { t, i18n } = useTranslation();
  const graph = sceneGraph(doc);
  const at = new Map(graph.nodes.map((n) => [n.id, n]));
  const width = Math.max(graph.columns, 1) * COLUMN;
  const height = Math.max(graph.rows, 1) * ROW;
  const left = (column: number) => column * COLUMN;
  const top = (row: number) => row * ROW + (ROW - NODE.height) / 2;
  const path = (e: SceneEdge) => {
    const from = at.get(e.from)!;
    const to = at.get(e.to)!;
    const x1 = left(from.column) + NODE.width;
    const y1 = top(from.row) + NODE.height / 2;
    const x2 = left(to.column);
    const y2 = top(to.row) + NODE.height / 2;
    if (to.column > from.column) return `M${x1},${y1} C${x1 + 24},${y1} ${x2 - 24},${y2} ${x2},${y2}`;
    // Back (or same-column) edges loop under the nodes.
    const below = Math.max(y1, y2) + NODE.height / 2 + 8;
    return `M${left(from.column) + NODE.width / 2},${top(from.row) + NODE.height} C${left(from.column) + NODE.width / 2},${below} ${left(to.column) + NODE.width / 2},${below} ${left(to.column) + NODE.width / 2},${top(to.row) + NODE.height}`;
  };
  const kindName = (e: SceneEdge) => t(`storyboards.edge.${e.kind}`) + (e.kind === "choice" && e.isDefault ? ` (${t("storyboards.edge.default")})` : "");
  return (
    <figure className="scene-graph" data-testid="scene-graph">
      <figcaption>{t("storyboards.graph")} <span className="muted">{t("storyboards.graphHint")}</span></figcaption>
      <div className="scene-graph-canvas" style={{ width, height }}>
        <svg width={width} height={height} aria-hidden="true">
          <defs>
            <marker id="scene-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" fill="#8a93a6" />
            </marker>
          </defs>
          {graph.edges.map((e, i) => (
            <path key={i} d={path(e)} className={`edge ${e.kind}${e.isDefault && e.kind === "choice" ? " default" : ""}`} markerEnd="url(#scene-arrow)" data-testid={`scene-edge-${e.from}-${e.to}`} data-kind={e.kind} />
          ))}
          {graph.edges.filter((e) => e.label && at.get(e.to)!.column > at.get(e.from)!.column).map((e, i) => {
            const to = at.get(e.to)!;
            return (
              <text key={i} x={left(to.column) - 8} y={top(to.row) + NODE.height / 2 - 5} textAnchor="end" className="edge-label">
                {e.label.length > 13 ? `${[...e.label].slice(0, 12).join("")}…` : e.label}
              </text>
            );
          })}
        </svg>
        {graph.nodes.map((n) => {
          const scene = doc.scenes.find((s) => s.id === n.id)!;
          const out = graph.edges.filter((e) => e.from === n.id);
          const description = [
            n.start ? t("storyboards.startsHere") : null,
            n.chapter ? t("storyboards.chapter", { title: n.chapter }) : null,
            n.reachable ? null : t("storyboards.unreachable"),
            ...out.map((e) => `${kindName(e)}${e.label ? ` “${e.label}”` : ""} → ${e.to}`),
          ].filter(Boolean);
          return (
            <button
              key={n.id}
              type="button"
              className={`scene-node${n.id === selected ? " active" : ""}${n.reachable ? "" : " unreachable"}${n.start ? " start" : ""}`}
              style={{ left: left(n.column), top: top(n.row), width: NODE.width, height: NODE.height }}
              aria-pressed={n.id === selected}
              title={description.join("\n")}
              aria-description={description.join("; ")}
              data-testid={`scene-node-${n.id}`}
              onClick={() => onSelect(n.id)}
            >
              <span className="scene-id">{n.start && "▶ "}{n.id}</span>
              <span className="scene-meta">{t("storyboards.seconds", { value: Number(scene.duration).toLocaleString(i18n.language) })}{n.chapter ? ` · ${n.chapter}` : ""}</span>
            </button>
          );
        })}
      </div>
    </figure>
  );
}

/** Rendered again only when its props change (give it stable callbacks). */
export const SceneGraph = memo(SceneGraphView);
