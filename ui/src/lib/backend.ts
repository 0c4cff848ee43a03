// The only caller of the generated bindings: turns each command's Result into a value or a thrown
// BackendError carrying the engine's code (the UI branches on codes, never on message text).
import i18n from "../i18n";
import { commands, type CommandError, type ErrorKind, type FieldProblem, type TemplateKind } from "./bindings";

export type { CommandError };

export class BackendError extends Error {
  constructor(readonly detail: CommandError) {
    super(detail.message);
  }
}

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: CommandError };

async function unwrap<T>(pending: Promise<Result<T>>): Promise<T> {
  const result = await pending;
  if (result.status === "error") throw new BackendError(result.error);
  return result.data;
}

/** Every command, each resolving to its value or rejecting with a BackendError. */
export const backend = Object.fromEntries(
  Object.entries(commands).map(([name, command]) => [
    name,
    (...args: unknown[]) => unwrap((command as (...a: unknown[]) => Promise<Result<unknown>>)(...args)),
  ]),
) as {
  [K in keyof typeof commands]: (typeof commands)[K] extends (...a: infer A) => Promise<infer R>
    ? (...a: A) => Promise<R extends { status: "ok"; data: infer T } ? T : never>
    : never;
};

/** What went wrong, for the user: a sentence in their language per error code (what happened and
 * what to do), and the engine's own words and position as technical detail. */
export type ExplainedError = {
  code: ErrorKind | null;
  sentence: string;
  /** The engine's message (English), or the text of an error that did not come from the engine. */
  message: string;
  /** Where a template error is: 1-based line and column, and the file of a site template. */
  line: number | null;
  column: number | null;
  file: string | null;
};

export function explainError(error: unknown): ExplainedError {
  if (!(error instanceof BackendError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { code: null, sentence: i18n.t("errors.explain.unexpected"), message, line: null, column: null, file: null };
  }
  const { code, message, line, column, file, problem } = error.detail;
  // A mistake in a site's file is the site's, not an email's; a field's says what is wrong with it.
  const explained = file !== null ? "site" : code;
  const sentence = problem ? problemText(problem) : i18n.t(`errors.explain.${explained}`);
  return { code, sentence, message, line, column, file };
}

/** "Line 3, column 7" (of a site's page: "preferences.html, line 3, column 7") in the user's
 * language, if the error has a position. */
export function errorPosition({ line, column, file }: Pick<ExplainedError, "line" | "column" | "file">): string | null {
  if (line === null) return file;
  return i18n.t(file ? "errors.inFile" : "errors.at", { file, line, column: column ?? 1 });
}

/** Whether an error is in what the user wrote (a template's source), to show beside it openly. */
export function inTemplate(e: Pick<ExplainedError, "code" | "file">): boolean {
  return e.code === "template" || e.file !== null;
}

/**
 * A failed command as one string, for places that cannot show <ErrorMessage>: the sentence in the
 * user's language. A template error keeps its position and the engine's message (the part that
 * says what in the source is wrong).
 */
export function errorText(error: unknown): string {
  const e = explainError(error);
  if (!inTemplate(e)) return e.sentence;
  const at = errorPosition(e);
  const detail = at ? i18n.t("errors.where", { at, message: e.message }) : e.message;
  return i18n.t("errors.joined", { sentence: e.sentence, detail });
}

/** Whether a failed command failed on what the user wrote in a template (shown at the source). */
export function isTemplateError(error: unknown): boolean {
  return error instanceof BackendError && inTemplate(error.detail);
}

/** The field a failed command found wrong (`holdout`, `variants.1.weight`) and how, if one was. */
export function fieldProblem(error: unknown): FieldProblem | null {
  return error instanceof BackendError ? error.detail.problem : null;
}

/** What is wrong with a field, in the user's language. */
export function problemText(problem: FieldProblem, fallback?: string): string {
  const key = `problems.${problem.code}`;
  // A customer key's kind (email, phone, external) in the user's words.
  const kind = problem.params.kind;
  const params = kind && i18n.exists(`customers.keyKind.${kind}`) ? { ...problem.params, kind: i18n.t(`customers.keyKind.${kind}`) } : problem.params;
  return i18n.exists(key) ? i18n.t(key, params) : fallback ?? i18n.t("errors.explain.invalid_input");
}

/** The kind of a failed command, to branch on (never on the message). */
export function errorCode(error: unknown): ErrorKind | null {
  return error instanceof BackendError ? error.detail.code : null;
}

/** The workspace's templates of one kind (the campaign's email and site pickers, the preview's emails). */
export function templatesOf(kind: TemplateKind) {
  return backend.templatesList().then((list) => list.filter((t) => t.kind === kind));
}
