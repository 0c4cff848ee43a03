// The only caller of the generated bindings: turns each command's Result into a value or a thrown
// BackendError carrying the engine's code (the UI branches on codes, never on message text).
import i18n from "../i18n";
import { commands, type CommandError, type ErrorKind } from "./bindings";

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

/** Codes whose cause the user can fix, each with its own sentence in both languages. */
const ACTIONABLE: ErrorKind[] = ["folder_not_empty", "invalid_address", "not_a_workspace", "column_mapping"];

/**
 * What to show for a failed command: a sentence in the user's language for the errors they can
 * act on; else the engine's explanation (in English), introduced in Chinese by its kind.
 */
export function errorText(error: unknown): string {
  if (!(error instanceof BackendError)) return String(error);
  const { code, message } = error.detail;
  if (ACTIONABLE.includes(code)) return i18n.t(`errors.actionable.${code}`);
  return i18n.language === "en" ? message : `${i18n.t(`errors.${code}`)} ${message}`;
}
