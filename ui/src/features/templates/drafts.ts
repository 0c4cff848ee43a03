// Template sources as edited and not yet saved, kept per template by the app (not by a screen), so
// leaving the editor or switching template never drops an edit.
import type { CustomerRow } from "../../lib/bindings";

/** Edited sources by template name: only templates whose edit differs from what is saved. */
export type Drafts = Record<string, string>;

/** What the template editor keeps while the user is on other screens. */
export type TemplateSession = {
  /** The template being edited ("" until the list is loaded). */
  name: string;
  drafts: Drafts;
  /** The customer the preview is rendered for (the first customer until one is picked). */
  customer: CustomerRow | null;
  /** The missing-field check's audience: "everyone", "built", "saved:<name>"; "" for the default. */
  audience: string;
  mobile: boolean;
  /** A site's file open in the editor and the page shown ("" for the first of each). */
  siteFile: string;
  sitePage: string;
  /** A storyboard's scene and time shown ("" for its first scene; null for the moment everything
   * in the scene has appeared, which a scene opens at). */
  storyboardScene: string;
  storyboardTime: number | null;
};

export const newTemplateSession = (): TemplateSession => ({ name: "", drafts: {}, customer: null, audience: "", mobile: false, siteFile: "", sitePage: "", storyboardScene: "", storyboardTime: null });

/** The drafts after an edit of `name`: an edit back to the saved source is no draft. */
export function withDraft(drafts: Drafts, name: string, text: string, saved: string | null): Drafts {
  if (saved !== null && text === saved) return withoutDrafts(drafts, name);
  if (drafts[name] === text) return drafts;
  return { ...drafts, [name]: text };
}

export function withoutDrafts(drafts: Drafts, ...names: string[]): Drafts {
  if (!names.some((n) => n in drafts)) return drafts;
  const rest = { ...drafts };
  for (const n of names) delete rest[n];
  return rest;
}

/** The templates with unsaved changes, in name order. */
export function unsaved(drafts: Drafts): string[] {
  return Object.keys(drafts).sort();
}

type Store = Pick<Storage, "getItem" | "setItem" | "removeItem">;
const draftsKey = (workspace: string) => `tessera.drafts.${workspace}`;

/** The drafts kept on this computer for a workspace: an edit survives closing the window. */
export function storedDrafts(storage: Store, workspace: string): Drafts {
  try {
    const saved = JSON.parse(storage.getItem(draftsKey(workspace)) ?? "{}");
    if (typeof saved !== "object" || saved === null || Array.isArray(saved)) return {};
    return Object.fromEntries(Object.entries(saved).filter(([, v]) => typeof v === "string")) as Drafts;
  } catch {
    return {};
  }
}

/** Keeps the drafts on this computer; false when they do not fit (a site's images can exceed the
 * browser's storage): they are then kept while the app runs, and closing it asks first. */
export function storeDrafts(storage: Store, workspace: string, drafts: Drafts): boolean {
  try {
    if (Object.keys(drafts).length === 0) storage.removeItem(draftsKey(workspace));
    else storage.setItem(draftsKey(workspace), JSON.stringify(drafts));
    return true;
  } catch {
    return false;
  }
}
