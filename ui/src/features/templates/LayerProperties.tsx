import { memo, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ANCHOR_NAMES, typedNumber, type Box, type LayerDoc, type SceneDoc, type StoryboardDoc, type TextStyle } from "./storyboardModel";

/**
 * A scene's layers, to pick one, and the picked layer's properties: what it shows (text with
 * merge tags, the customer field a number counts up to, an image, a fill), where (box, anchor),
 * when (seconds inside the scene) and, for text, its style. Each change rewrites the layer in
 * the document, so the source and the frame follow.
 */
function LayerPropertiesView({ doc, scene, layer, onPick, onChange }: { doc: StoryboardDoc; scene: SceneDoc; layer: string; onPick: (layer: string) => void; onChange: (next: LayerDoc) => void }) {
  const { t } = useTranslation();
  const layers = Array.isArray(scene.layers) ? scene.layers : [];
  const picked = layers.find((l) => l.id === layer) ?? null;
  return (
    <section className="layers" data-testid="storyboard-layers">
      <h2>{t("storyboards.layers", { scene: scene.id })}</h2>
      {layers.length === 0 ? (
        <p className="muted">{t("storyboards.noLayers")}</p>
      ) : (
        <ul>
          {layers.map((l) => (
            <li key={l.id}>
              <button type="button" className={`link${l.id === layer ? " active" : ""}`} aria-pressed={l.id === layer} data-testid={`layer-${l.id}`} onClick={() => onPick(l.id)}>
                {l.id} <span className="muted">({t(`storyboards.kind.${l.type}`, { defaultValue: l.type })})</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {picked && <Properties key={`${scene.id}/${picked.id}`} doc={doc} layer={picked} duration={scene.duration} onChange={onChange} />}
    </section>
  );
}

/** Rendered again only when its props change (give it stable callbacks). */
export const LayerProperties = memo(LayerPropertiesView);

function Properties({ doc, layer, duration, onChange }: { doc: StoryboardDoc; layer: LayerDoc; duration: number; onChange: (next: LayerDoc) => void }) {
  const { t } = useTranslation();
  const style: TextStyle = layer.style ?? {};
  const setBox = (key: keyof Box) => (value: number) => onChange({ ...layer, box: { ...layer.box, [key]: value } });
  const setStyle = (patch: Partial<TextStyle>) => onChange({ ...layer, style: { ...style, ...patch } });
  const time = layer.time ?? null;
  const setTime = (key: "from" | "to") => (value: number | null) => {
    const range = { from: time?.from ?? 0, to: time?.to ?? duration, [key]: value ?? (key === "from" ? 0 : duration) };
    onChange({ ...layer, time: range.from === 0 && range.to === duration ? null : range });
  };
  const isText = layer.type === "text" || layer.type === "number";
  const assets = Object.keys(doc.assets ?? {});
  return (
    <div className="layer-properties" data-testid="layer-properties">
      {isText && (
        <label className="stacked wide">{t("storyboards.prop.text", { example: "{{greeting_name}}" })}
          <textarea data-testid="layer-text" rows={3} value={layer.text ?? (layer.type === "number" ? "{{number value}}" : "")} onChange={(e) => onChange({ ...layer, text: e.target.value })} />
        </label>
      )}
      {(layer.type === "number" || layer.type === "image") && (
        <label className="stacked wide">{t(layer.type === "number" ? "storyboards.prop.countTo" : "storyboards.prop.imageField")}
          <input className="mono" data-testid="layer-field" value={layer.field ?? ""} onChange={(e) => onChange({ ...layer, field: e.target.value || (layer.type === "image" ? null : "") })} />
        </label>
      )}
      {layer.type === "image" && (
        <label className="stacked">{t("storyboards.prop.asset")}
          <select data-testid="layer-asset" value={layer.asset ?? ""} onChange={(e) => onChange({ ...layer, asset: e.target.value || null })}>
            <option value="">{t("storyboards.prop.noAsset")}</option>
            {assets.map((a) => <option key={a} value={a}>{a}</option>)}
          </select>
        </label>
      )}
      {layer.type === "shape" && <ColorField label={t("storyboards.prop.fill")} testId="layer-fill" value={layer.fill ?? "#000000"} onChange={(fill) => onChange({ ...layer, fill })} />}
      <NumberField label={t("storyboards.prop.x")} testId="layer-x" value={layer.box.x} onChange={setBox("x")} />
      <NumberField label={t("storyboards.prop.y")} testId="layer-y" value={layer.box.y} onChange={setBox("y")} />
      <NumberField label={t("storyboards.prop.width")} testId="layer-width" value={layer.box.width} min={1} onChange={setBox("width")} />
      <NumberField label={t("storyboards.prop.height")} testId="layer-height" value={layer.box.height} min={1} onChange={setBox("height")} />
      <label className="stacked">{t("storyboards.prop.anchor")}
        <select data-testid="layer-anchor" value={layer.anchor ?? "top_left"} onChange={(e) => onChange({ ...layer, anchor: e.target.value })}>
          {ANCHOR_NAMES.map((a) => <option key={a} value={a}>{t(`storyboards.anchor.${a}`)}</option>)}
        </select>
      </label>
      <NumberField label={t("storyboards.prop.from")} testId="layer-from" value={time?.from ?? 0} min={0} step={0.1} onChange={setTime("from")} />
      <NumberField label={t("storyboards.prop.to")} testId="layer-to" value={time?.to ?? duration} min={0} step={0.1} onChange={setTime("to")} />
      {isText && (
        <>
          <NumberField label={t("storyboards.prop.size")} testId="layer-size" value={style.size ?? 48} min={1} onChange={(size) => setStyle({ size })} />
          <label className="stacked">{t("storyboards.prop.weight")}
            <select data-testid="layer-weight" value={String(style.weight ?? 400)} onChange={(e) => setStyle({ weight: Number(e.target.value) })}>
              <option value="400">{t("storyboards.prop.regular")}</option>
              <option value="700">{t("storyboards.prop.bold")}</option>
            </select>
          </label>
          <label className="stacked">{t("storyboards.prop.align")}
            <select data-testid="layer-align" value={style.align ?? "left"} onChange={(e) => setStyle({ align: e.target.value as TextStyle["align"] })}>
              {(["left", "center", "right"] as const).map((a) => <option key={a} value={a}>{t(`storyboards.align.${a}`)}</option>)}
            </select>
          </label>
          <ColorField label={t("storyboards.prop.color")} testId="layer-color" value={style.color ?? "#ffffff"} onChange={(color) => setStyle({ color })} />
        </>
      )}
    </div>
  );
}

/** A number property: the document changes once what is typed is a number (a lone `-` waits). */
function NumberField({ label, testId, value, min, step = 1, onChange }: { label: string; testId: string; value: number; min?: number; step?: number; onChange: (value: number) => void }) {
  const [text, setText] = useState(String(value));
  useEffect(() => {
    if (typedNumber(text) !== value) setText(String(value));
  }, [value]); // eslint-disable-line react-hooks/exhaustive-deps -- follow edits made elsewhere (the source)
  return (
    <label className="stacked">{label}
      <input
        type="number"
        data-testid={testId}
        value={text}
        min={min}
        step={step}
        onChange={(e) => {
          setText(e.target.value);
          const typed = typedNumber(e.target.value);
          if (typed !== null && (min === undefined || typed >= min)) onChange(typed);
        }}
      />
    </label>
  );
}

/** A colour property: a picker for `#rrggbb` beside the text, which may also carry alpha (`#rrggbbaa`). */
function ColorField({ label, testId, value, onChange }: { label: string; testId: string; value: string; onChange: (value: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const valid = (c: string) => /^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/.test(c);
  return (
    <label className="stacked">{label}
      <span className="color-field">
        <input type="color" aria-label={label} value={valid(value) ? value.slice(0, 7) : "#000000"} onChange={(e) => onChange(e.target.value + (valid(value) ? value.slice(7) : ""))} />
        <input
          className="mono"
          data-testid={testId}
          value={text}
          aria-invalid={!valid(text)}
          onChange={(e) => {
            setText(e.target.value);
            if (valid(e.target.value)) onChange(e.target.value);
          }}
        />
      </span>
    </label>
  );
}
