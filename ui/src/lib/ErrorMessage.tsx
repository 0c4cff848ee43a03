import { useTranslation } from "react-i18next";
import { errorPosition, explainError, inTemplate } from "./backend";

/**
 * A failed command as the user should see it: what happened and what to do, in their language;
 * the engine's own message (and where, for a template) behind a "Technical details" toggle. A
 * template error shows its position and the engine's message openly: that is what says what in
 * the source to fix.
 */
export function ErrorMessage({ error, testId, className }: { error: unknown; testId?: string; className?: string }) {
  const { t } = useTranslation();
  const e = explainError(error);
  const at = errorPosition(e);
  return (
    <div className={`error error-message${className ? ` ${className}` : ""}`} role="alert" data-testid={testId}>
      <p className="sentence">{e.sentence}</p>
      {inTemplate(e) ? (
        <p className="where">
          {at && <><b>{at}</b>{t("errors.colon")}</>}
          <span className="mono">{e.message}</span>
        </p>
      ) : (
        e.message && (
          <details className="technical">
            <summary>{t("errors.technical")}</summary>
            <pre className="mono">
              {e.code ? `${e.code}: ` : ""}
              {e.message}
              {at ? `\n${at}` : ""}
            </pre>
          </details>
        )
      )}
    </div>
  );
}
