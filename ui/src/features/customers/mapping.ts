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

/** The choice a mapped field shows as: an existing attribute as itself, any other
 * `attribute:NAME` as the custom choice (a new attribute named after the column). */
export function choiceOf(field: string, existing: string[] = []): string {
  if (!field.startsWith(`${CUSTOM}:`)) return field;
  return existing.includes(field.slice(CUSTOM.length + 1)) ? field : CUSTOM;
}

/** The choice for an existing attribute. */
export const existingChoice = (name: string) => `${CUSTOM}:${name}`;

export type Detected = "auto" | string;

export interface WizardChoices {
  encoding: Detected;
  delimiter: Detected;
  /** Column name → chosen field, for the columns the user changed. */
  fields: Record<string, string>;
  /** Events: the type of every row of a file without a type column. */
  eventType: string;
  /** Events: keep those dated after now (otherwise rejected as mistakes). */
  allowFuture: boolean;
}

export const NO_CHOICES: WizardChoices = { encoding: "auto", delimiter: "auto", fields: {}, eventType: "", allowFuture: false };

export function settingsFrom(choices: WizardChoices): ImportSettings {
  return {
    encoding: choices.encoding === "auto" ? null : choices.encoding,
    delimiter: choices.delimiter === "auto" ? null : choices.delimiter,
    mapping: Object.entries(choices.fields).map(([column, field]) =>
      [column, field === CUSTOM ? `${CUSTOM}:${column}` : field] as [string, string]),
    event_type: choices.eventType.trim() || null,
    allow_future: choices.allowFuture,
  };
}

/** Where a file's mapping is remembered: by what it holds and its header, so the next export
 * of the same report maps the same way. */
function mappingKey(kind: ImportKind, columns: string[]): string {
  return `tessera.importMapping.${kind}.${JSON.stringify(columns)}`;
}

type Store = Pick<Storage, "getItem" | "setItem">;

/** The columns the user mapped by hand the last time a file with this header was imported. */
export function rememberedFields(storage: Store, kind: ImportKind, columns: string[]): Record<string, string> {
  try {
    const saved = JSON.parse(storage.getItem(mappingKey(kind, columns)) ?? "{}");
    if (typeof saved !== "object" || saved === null || Array.isArray(saved)) return {};
    return Object.fromEntries(Object.entries(saved).filter(([c, f]) => columns.includes(c) && typeof f === "string")) as Record<string, string>;
  } catch {
    return {};
  }
}

export function rememberFields(storage: Store, kind: ImportKind, columns: string[], fields: Record<string, string>) {
  storage.setItem(mappingKey(kind, columns), JSON.stringify(fields));
}

/** Whether the mapping can identify who each row is about (the engine refuses it otherwise). */
export function hasKey(columns: ColumnPreview[]): boolean {
  return columns.some((c) => KEYS.includes(c.field));
}
