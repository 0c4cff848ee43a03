import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { ErrorMessage } from "../../lib/ErrorMessage";
import type { TFunction } from "i18next";
import type { AttributeInfo, Condition, Group, Rule, SavedSegment, SegmentCount, WorkspaceStatus } from "../../lib/bindings";
import { backend } from "../../lib/backend";
import { addCondition, BUILTIN_FIELDS, CONDITION_TYPES, finishedRule, newCondition, setCondition, unfinished, unfinishedCount, type Path } from "./ruleModel";
import { ConditionEditor } from "./ConditionEditor";
import { describe } from "./describe";
import { count as formatCount, share } from "./format";
import { SegmentMembers } from "./SegmentMembers";

type ScreenProps = {
  workspace: WorkspaceStatus;
  rule: Rule;
  onChange: (r: Rule) => void;
  /** The saved segment's name: kept by the app, so it is still there on coming back. */
  name: string;
  onNameChange: (name: string) => void;
};

/**
 * The rule builder with the exact count and per-condition funnel, recounted on every edit.
 * Conditions still being written are left out of the count (and said to be).
 */
export function SegmentsScreen({ workspace, rule, onChange: setRule, name, onNameChange: setName }: ScreenProps) {
  const { t, i18n } = useTranslation();
  const n = (x: number) => formatCount(x, i18n.language);
  // The rule as counted, exported and listed: without its unfinished conditions.
  const finished = useMemo(() => finishedRule(rule), [rule]);
  const counted = JSON.stringify(finished);
  const notCounted = unfinishedCount(rule);
  // The count with the rule it was made for: the funnel describes that rule's conditions.
  const [count, setCount] = useState<(SegmentCount & { rule: Rule }) | null>(null);
  const [error, setError] = useState<unknown>(null);
  const fields = [...BUILTIN_FIELDS, ...workspace.attributes];
  const [saved, setSaved] = useState<SavedSegment[]>([]);
  // Campaigns with a finished run, for conditions on who received or converted.
  const [campaigns, setCampaigns] = useState<string[]>([]);
  // A notice holds for the rule and name it was about: an edit after saving takes it away.
  const [notice, setNotice] = useState<{ text: string; rule: Rule; name: string } | null>(null);
  const shownNotice = notice && notice.rule === rule && notice.name === name ? notice.text : null;
  const [columns, setColumns] = useState("id, email, first_name, last_name, phone, tags");
  useEffect(() => {
    backend.segmentsList().then(setSaved, (e) => setError(e));
    backend.campaignsList().then((list) => setCampaigns(list.filter((c) => c.runs > 0).map((c) => c.name)), () => setCampaigns([]));
  }, []);

  async function save(as: string) {
    try {
      await backend.segmentSave(as, rule);
      setName(as);
      setSaved(await backend.segmentsList());
      setNotice({ text: t("segments.saved", { name: as }), rule, name: as });
    } catch (e) {
      setError(e);
    }
  }

  /** Writes the segment's customers to a CSV file the user picks, with the columns listed. */
  async function exportCsv() {
    try {
      const path = await backend.filePick({ kind: "save", title: t("segments.exportTitle"), filter: { name: "CSV", extensions: ["csv"] }, file_name: `${name.trim() || t("segments.title")}.csv` });
      if (path === null) return;
      const list = columns.split(",").map((c) => c.trim()).filter(Boolean);
      const written = await backend.segmentExport(finished, list, path);
      setNotice({ text: t("segments.exported", { count: written, path }), rule, name });
    } catch (e) {
      setError(e);
    }
  }

  async function openSaved(which: string) {
    try {
      setRule(await backend.segmentLoad(which));
      setName(which);
      setNotice(null);
    } catch (e) {
      setError(e);
    }
  }

  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      backend.segmentCount(finished).then(
        (c) => current && (setCount({ ...c, rule: finished }), setError(null)),
        (e) => current && setError(e),
      );
    }, 80);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // Recounted when the counted rule changes, not on edits to unfinished conditions.
  }, [counted]); // eslint-disable-line react-hooks/exhaustive-deps

  // The same function while the counted rule is the same, so the list keeps its page.
  const loadMembers = useCallback(
    (offset: number, limit: number) => backend.segmentMembers(finished, offset, limit),
    [counted], // eslint-disable-line react-hooks/exhaustive-deps
  );

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
        {shownNotice && <span className="ok" data-testid="segment-notice">{shownNotice}</span>}
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
        <strong data-testid="segment-count">{count ? n(count.count) : "…"}</strong>{" "}
        <span className="muted">{count && t("segments.matching", { shown: n(count.count), total: n(count.total) })}</span>
        {notCounted > 0 && (
          <>
            {" · "}
            <span className="warn" data-testid="segment-not-counted">{t("segments.notCounted", { count: notCounted, n: n(notCounted) })}</span>
          </>
        )}
      </div>
      {error !== null && <ErrorMessage error={error} />}
      <GroupEditor group={rule} path={[]} fields={fields} savedSegments={saved.map((s) => s.name)} campaigns={campaigns} onChange={(g) => setRule({ ...rule, ...g })} root={rule} setRoot={setRule} />
      {count && count.funnel.length > 0 && (
        <>
          <h2>{t("segments.funnel")}</h2>
          <p className="muted">{t("segments.funnelShare", { total: n(count.total) })}</p>
          <ol className="funnel" data-testid="funnel">
            {count.funnel.map((step) => (
              <li key={step.condition}>
                {/* At least 2px wide while anyone is left, so a tiny share still shows. */}
                <span className="bar" style={{ width: `${count.total ? (100 * step.remaining) / count.total : 0}%`, minWidth: step.remaining > 0 ? 2 : 0 }} />
                <span className="label">{step.condition}. {labelOf(count.rule, step.condition, step.label, t)}</span>
                <b>
                  {n(step.remaining)} <span className="muted">{share(step.remaining, count.total, i18n.language)}</span>
                </b>
              </li>
            ))}
          </ol>
        </>
      )}
      <SegmentMembers load={loadMembers} />
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
  campaigns: string[];
  onChange: (g: Group) => void;
  root: Rule;
  setRoot: (r: Rule) => void;
};

function GroupEditor({ group, path, fields, savedSegments, campaigns, onChange, root, setRoot }: GroupProps) {
  const { t } = useTranslation();
  const mode = group.not ? "not" : (group.match ?? "all");
  return (
    <div className="group" data-testid={`group-${path.join(".") || "root"}`}>
      <select
        aria-label={t("segments.match")}
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
                  campaigns={campaigns}
                  onChange={(g) => setRoot(setCondition(root, here, { ...(c as object), ...g, type: "group" } as Condition))}
                  root={root}
                  setRoot={setRoot}
                />
              ) : (
                <ConditionEditor condition={c} fields={fields} savedSegments={savedSegments} campaigns={campaigns} onChange={(next) => setRoot(setCondition(root, here, next))} />
              )}
              <UnfinishedHint condition={c} />
              <button className="remove" aria-label={t("segments.remove")} onClick={() => setRoot(setCondition(root, here, null))}>×</button>
            </li>
          );
        })}
      </ul>
      <div className="toolbar">
        <select
          data-testid={`add-${path.join(".") || "root"}`}
          value=""
          onChange={(e) => e.target.value && setRoot(addCondition(root, path, newCondition(e.target.value as never, fields, savedSegments, campaigns)))}
        >
          <option value="">+ {t("segments.addCondition")}</option>
          {CONDITION_TYPES.map((type) => (
            <option key={type} value={type} disabled={(type === "segment" && savedSegments.length === 0) || (type === "campaign" && campaigns.length === 0)}>{type === "group" ? t("segments.addGroup") : t(`segments.type.${type}`)}</option>
          ))}
        </select>
      </div>
    </div>
  );
}

/** What a condition still needs before it is counted, shown beside it. */
function UnfinishedHint({ condition }: { condition: Condition }) {
  const { t } = useTranslation();
  const why = unfinished(condition);
  if (!why) return null;
  return (
    <span className="unfinished warn" data-testid="condition-unfinished">
      {t("segments.unfinished.hint", { what: t(`segments.unfinished.${why}`) })}
    </span>
  );
}
