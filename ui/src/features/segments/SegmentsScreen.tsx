import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import { save as saveDialog } from "@tauri-apps/plugin-dialog";
import type { AttributeInfo, Condition, Group, Rule, SavedSegment, SegmentCount, WorkspaceStatus } from "../../lib/bindings";
import { backend, errorText } from "../../lib/backend";
import { addCondition, BUILTIN_FIELDS, CONDITION_TYPES, newCondition, setCondition, type Path } from "./ruleModel";
import { ConditionEditor } from "./ConditionEditor";
import { describe } from "./describe";

/** The rule builder with the exact count and per-condition funnel, recounted on every edit. */
export function SegmentsScreen({ workspace, rule, onChange: setRule }: { workspace: WorkspaceStatus; rule: Rule; onChange: (r: Rule) => void }) {
  const { t } = useTranslation();
  // The count with the rule it was made for: the funnel describes that rule's conditions.
  const [count, setCount] = useState<(SegmentCount & { rule: Rule }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fields = [...BUILTIN_FIELDS, ...workspace.attributes];
  const [saved, setSaved] = useState<SavedSegment[]>([]);
  const [name, setName] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [columns, setColumns] = useState("id, email, first_name, last_name, phone, tags");
  useEffect(() => {
    backend.segmentsList().then(setSaved, (e) => setError(errorText(e)));
  }, []);

  async function save(as: string) {
    try {
      await backend.segmentSave(as, rule);
      setName(as);
      setSaved(await backend.segmentsList());
      setNotice(t("segments.saved", { name: as }));
    } catch (e) {
      setError(errorText(e));
    }
  }

  /** Writes the segment's customers to a CSV file the user picks, with the columns listed. */
  async function exportCsv() {
    const path = await saveDialog({ defaultPath: `${name.trim() || t("segments.title")}.csv`, filters: [{ name: "CSV", extensions: ["csv"] }] });
    if (typeof path !== "string") return;
    try {
      const list = columns.split(",").map((c) => c.trim()).filter(Boolean);
      const written = await backend.segmentExport(rule, list, path);
      setNotice(t("segments.exported", { count: written, path }));
    } catch (e) {
      setError(errorText(e));
    }
  }

  async function openSaved(which: string) {
    try {
      setRule(await backend.segmentLoad(which));
      setName(which);
      setNotice(null);
    } catch (e) {
      setError(errorText(e));
    }
  }

  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      backend.segmentCount(rule).then(
        (c) => current && (setCount({ ...c, rule }), setError(null)),
        (e) => current && setError(errorText(e)),
      );
    }, 80);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [rule]);

  return (
    <section className="segments">
      <h1>{t("segments.title")}</h1>
      <div className="toolbar">
        <select data-testid="segment-open" value="" onChange={(e) => e.target.value && openSaved(e.target.value)}>
          <option value="">{t("segments.open", { count: saved.length })}</option>
          {saved.map((s) => <option key={s.name} value={s.name}>{s.name}</option>)}
        </select>
        <input data-testid="segment-name" placeholder={t("segments.name")} value={name} onChange={(e) => setName(e.target.value)} />
        <button data-testid="segment-save" disabled={!name.trim()} onClick={() => save(name.trim())}>{t("segments.save")}</button>
        <button disabled={!name.trim()} onClick={() => save(t("segments.copyOf", { name: name.trim() }))}>{t("segments.duplicate")}</button>
        {notice && <span className="ok" data-testid="segment-notice">{notice}</span>}
      </div>
      <details className="export" data-testid="segment-export">
        <summary>{t("segments.export")}</summary>
        <div className="toolbar">
          <label className="grow">
            {t("segments.columns")}{" "}
            <input data-testid="export-columns" className="mono wide" value={columns} onChange={(e) => setColumns(e.target.value)} />
          </label>
          <button data-testid="export-start" disabled={!columns.trim()} onClick={exportCsv}>{t("segments.exportCsv")}</button>
        </div>
      </details>
      <div className="count" aria-live="polite">
        <strong data-testid="segment-count">{count ? count.count.toLocaleString() : "…"}</strong>{" "}
        <span className="muted">{count && t("segments.matching", { shown: count.count.toLocaleString(), total: count.total.toLocaleString() })}</span>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      <GroupEditor group={rule} path={[]} fields={fields} savedSegments={saved.map((s) => s.name)} onChange={(g) => setRule({ ...rule, ...g })} root={rule} setRoot={setRule} />
      {count && count.funnel.length > 0 && (
        <>
          <h2>{t("segments.funnel")}</h2>
          <ol className="funnel" data-testid="funnel">
            {count.funnel.map((step) => (
              <li key={step.condition}>
                <span className="bar" style={{ width: `${count.total ? (100 * step.remaining) / count.total : 0}%` }} />
                <span className="label">{step.condition}. {labelOf(count.rule, step.condition, step.label, t)}</span>
                <b>{step.remaining.toLocaleString()}</b>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

/** A funnel step's condition in the user's language (the engine's English label as fallback). */
function labelOf(rule: Rule, position: string, fallback: string, t: TFunction): string {
  const condition = (rule.conditions ?? [])[Number(position) - 1];
  return condition ? describe(condition, t) : fallback;
}

type GroupProps = {
  group: Group;
  path: Path;
  fields: AttributeInfo[];
  savedSegments: string[];
  onChange: (g: Group) => void;
  root: Rule;
  setRoot: (r: Rule) => void;
};

function GroupEditor({ group, path, fields, savedSegments, onChange, root, setRoot }: GroupProps) {
  const { t } = useTranslation();
  const mode = group.not ? "not" : (group.match ?? "all");
  return (
    <div className="group" data-testid={`group-${path.join(".") || "root"}`}>
      <select
        aria-label="match"
        value={mode}
        onChange={(e) => {
          const v = e.target.value;
          onChange({ ...group, match: v === "any" ? "any" : "all", not: v === "not" });
        }}
      >
        <option value="all">{t("segments.all")}</option>
        <option value="any">{t("segments.any")}</option>
        <option value="not">{t("segments.not")}</option>
      </select>
      <ul>
        {(group.conditions ?? []).map((c, i) => {
          const here = [...path, i];
          return (
            <li key={i} className="condition">
              {c.type === "group" ? (
                <GroupEditor
                  group={c as Condition & Group}
                  path={here}
                  fields={fields}
                  savedSegments={savedSegments}
                  onChange={(g) => setRoot(setCondition(root, here, { ...(c as object), ...g, type: "group" } as Condition))}
                  root={root}
                  setRoot={setRoot}
                />
              ) : (
                <ConditionEditor condition={c} fields={fields} savedSegments={savedSegments} onChange={(next) => setRoot(setCondition(root, here, next))} />
              )}
              <button className="remove" aria-label={t("segments.remove")} onClick={() => setRoot(setCondition(root, here, null))}>×</button>
            </li>
          );
        })}
      </ul>
      <div className="toolbar">
        <select
          data-testid={`add-${path.join(".") || "root"}`}
          value=""
          onChange={(e) => e.target.value && setRoot(addCondition(root, path, newCondition(e.target.value as never, fields, savedSegments)))}
        >
          <option value="">+ {t("segments.addCondition")}</option>
          {CONDITION_TYPES.map((type) => (
            <option key={type} value={type} disabled={type === "segment" && savedSegments.length === 0}>{type === "group" ? t("segments.addGroup") : t(`segments.type.${type}`)}</option>
          ))}
        </select>
      </div>
    </div>
  );
}
