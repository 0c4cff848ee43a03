// The import wizard's column mapping: the fields a column can map to, and the settings sent to
// the engine (only what the user changed; everything else the engine detects).
import type { ColumnPreview, ImportKind, ImportSettings } from "../../lib/bindings";

/** A custom column: an attribute of the customer, or a property of the event. */
export const CUSTOM = "attribute";

const KEYS = ["email", "phone", "external_id"];
export const FIELD_CHOICES: Record<ImportKind, string[]> = {
  customers: [
    ...KEYS, "first_name", "last_name", "name", "locale", "tags",
    "consent:email", "optout:email", "consent:sms", "optout:sms", "consent:push", "optout:push",
    CUSTOM, "ignore",
  ],
  events: [...KEYS, "timestamp", "type", "value", CUSTOM, "ignore"],
};

/** The choice a mapped field shows as: every `attribute:NAME` is the custom choice. */
export function choiceOf(field: string): string {
  return field.startsWith(`${CUSTOM}:`) ? CUSTOM : field;
}

export type Detected = "auto" | string;

export interface WizardChoices {
  encoding: Detected;
  delimiter: Detected;
  /** Column name → chosen field, for the columns the user changed. */
  fields: Record<string, string>;
}

export const NO_CHOICES: WizardChoices = { encoding: "auto", delimiter: "auto", fields: {} };

export function settingsFrom(choices: WizardChoices): ImportSettings {
  return {
    encoding: choices.encoding === "auto" ? null : choices.encoding,
    delimiter: choices.delimiter === "auto" ? null : choices.delimiter,
    mapping: Object.entries(choices.fields).map(([column, field]) =>
      [column, field === CUSTOM ? `${CUSTOM}:${column}` : field] as [string, string]),
  };
}

/** Whether the mapping can identify who each row is about (the engine refuses it otherwise). */
export function hasKey(columns: ColumnPreview[]): boolean {
  return columns.some((c) => KEYS.includes(c.field));
}
