import { useTranslation } from "react-i18next";
import { fieldProblem, problemText } from "./backend";

/**
 * What is wrong with one field of the form, in the user's language, right under it: shown when
 * the failed command found that field wrong (`field` names it as the engine does: `holdout`, or
 * a test over the name such as every field of one variant).
 */
export function FieldError({ error, field }: { error: unknown; field: string | ((name: string) => boolean) }) {
  useTranslation(); // worded again when the language changes
  const problem = fieldProblem(error);
  if (!problem || !(typeof field === "string" ? problem.field === field : field(problem.field))) return null;
  return (
    <span className="field-error" role="alert" data-testid={`field-error-${problem.field}`}>
      {problemText(problem)}
    </span>
  );
}

/** Whether the failed command found `field` wrong: for the field's `aria-invalid`. */
export function isWrong(error: unknown, field: string): boolean {
  return fieldProblem(error)?.field === field;
}
