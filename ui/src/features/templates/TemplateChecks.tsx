// What both template editors (email, microsite) show beside the preview: the merge fields with
// the customer's values, and which fields would be empty over an audience.
import { memo, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { CustomerRow, MergeField, MissingReport, Rule, SavedSegment } from "../../lib/bindings";
import { backend, isTemplateError } from "../../lib/backend";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { useNumber } from "../../lib/numbers";
import { emptyRule } from "../segments/ruleModel";

/** The fields a template can merge, with the customer's values; a click inserts one. */
function MergeFieldListView({ customer, onInsert }: { customer: CustomerRow | null; onInsert: (field: string) => void }) {
  const { t } = useTranslation();
  const [fields, setFields] = useState<MergeField[]>([]);
  useEffect(() => {
    if (customer) backend.mergeFields(customer.id).then(setFields, () => setFields([]));
  }, [customer]);
  return (
    <details className="fields" data-testid="merge-fields">
      <summary>{t("templates.fields", { count: fields.length })}</summary>
      <ul>
        {fields.map((f) => (
          <li key={f.name}>
            <button className="link mono" onClick={() => onInsert(f.name)}>{`{{${f.name}}}`}</button>{" "}
            <span className="muted">{f.example}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

/** Rendered again only when its props change (give it stable callbacks). */
export const MergeFieldList = memo(MergeFieldListView);

/**
 * "Which merge fields would be empty, for how many customers of this audience?", checked on
 * demand. A template error found while checking goes to `onTemplateError` (shown at the source).
 */
export function MissingFieldsCheck({
  segment,
  audience: picked,
  onAudience,
  check,
  disabled,
  onTemplateError,
}: {
  segment: Rule;
  audience: string;
  onAudience: (audience: string) => void;
  check: (rule: Rule) => Promise<MissingReport>;
  disabled: boolean;
  onTemplateError: (error: unknown) => void;
}) {
  const { t } = useTranslation();
  const number = useNumber();
  const [segments, setSegments] = useState<SavedSegment[]>([]);
  const [missing, setMissing] = useState<MissingReport | null>(null);
  const [checkError, setCheckError] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);
  const hasSegment = (segment.conditions ?? []).length > 0;
  useEffect(() => {
    backend.segmentsList().then(setSegments, () => setSegments([]));
  }, []);
  // The audience picked before, while it still exists (the built segment emptied, a saved one deleted).
  const stale = (picked === "built" && !hasSegment) || (picked.startsWith("saved:") && !segments.some((s) => `saved:${s.name}` === picked));
  const audience = picked && !stale ? picked : hasSegment ? "built" : "everyone";

  async function run() {
    setChecking(true);
    setCheckError(null);
    try {
      const rule = audience === "built" ? segment : audience.startsWith("saved:") ? await backend.segmentLoad(audience.slice("saved:".length)) : emptyRule();
      setMissing(await check(rule));
    } catch (e) {
      setMissing(null);
      if (isTemplateError(e)) onTemplateError(e);
      else setCheckError(e);
    } finally {
      setChecking(false);
    }
  }

  return (
    <details className="fields" data-testid="missing-report">
      <summary>{t("templates.missingTitle")}</summary>
      <div className="toolbar">
        <select data-testid="missing-audience" value={audience} onChange={(e) => { onAudience(e.target.value); setMissing(null); }} aria-label={t("campaigns.audience")}>
          <option value="everyone">{t("campaigns.everyone")}</option>
          <option value="built" disabled={!hasSegment}>{t("campaigns.segment")}</option>
          {segments.length > 0 && (
            <optgroup label={t("templates.savedSegments")}>
              {segments.map((s) => <option key={s.name} value={`saved:${s.name}`}>{s.name}</option>)}
            </optgroup>
          )}
        </select>
        <button data-testid="missing-check" disabled={checking || disabled} onClick={run}>{t("templates.missingCheck")}</button>
      </div>
      {checkError !== null && <ErrorMessage error={checkError} testId="missing-error" />}
      {missing && missing.missing.length === 0 && <p className="ok">{t("templates.missingNone", { count: number(missing.customers) })}</p>}
      {missing && missing.missing.length > 0 && (
        <table className="rejections">
          <thead><tr><th>{t("templates.field")}</th><th>{t("templates.where")}</th><th>{t("templates.affected")}</th></tr></thead>
          <tbody>
            {missing.missing.map((m) => (
              <tr key={`${m.template}:${m.field}:${m.line}:${m.column}`} data-testid="missing-row">
                <td className="mono">{m.field}</td>
                <td>{t(m.template ? "errors.inFile" : "templates.errorAt", { file: m.template, line: m.line, column: m.column })}</td>
                <td>{t("templates.affectedOf", { count: number(m.customers), of: number(m.of) })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
