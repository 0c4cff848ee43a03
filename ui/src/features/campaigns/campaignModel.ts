// The campaign editor's model: a campaign document (the engine's own type) and the small steps
// the editor takes on it. Content is edited as one template per language (English, Chinese).
import type { Audience, Campaign, EmailSettings, Rule, Split, TemplateInfo, Variant } from "../../lib/bindings";

export const LANGUAGES = ["en", "zh"] as const;
export type Language = (typeof LANGUAGES)[number];
export type Templates = Partial<Record<Language, string>>;

/** The content formats a variant holds: its email, its personal site and its video. */
export type ContentFormat = "email" | "microsite" | "video";

/** The template of each language a variant names for a format (one template for everyone counts as English). */
export function variantTemplates(variant: Variant, format: ContentFormat = "email"): Templates {
  const content = variant[format];
  if (!content) return {};
  if (typeof content === "string") return { en: content };
  return { en: content.en, zh: content.zh };
}

/** The variant with these templates of a format: per language when there are two, else the one for everyone. */
export function withTemplates(variant: Variant, templates: Templates, format: ContentFormat = "email"): Variant {
  const chosen = LANGUAGES.filter((l) => templates[l]);
  let content: Variant["email"] = null;
  if (chosen.length === 1) content = templates[chosen[0]]!;
  if (chosen.length > 1) content = Object.fromEntries(chosen.map((l) => [l, templates[l]!]));
  return { ...variant, [format]: content };
}

function hasFormat(campaign: Campaign, format: ContentFormat): boolean {
  return campaign.variants.some((v) => Object.keys(variantTemplates(v, format)).length > 0);
}

/** Whether any variant gives customers a video. */
export function hasVideo(campaign: Campaign): boolean {
  return hasFormat(campaign, "video");
}

/** The video files a campaign can make, in the engine's order. */
export const VIDEO_FORMATS = ["poster", "gif", "mp4", "webm", "player"] as const;
export type VideoFormat = (typeof VIDEO_FORMATS)[number];
/** What the engine makes unless chosen: all but the royalty-free WebM copy of the MP4. */
const DEFAULT_VIDEO_FORMATS: VideoFormat[] = ["poster", "gif", "mp4", "player"];

export function videoFormats(campaign: Campaign): VideoFormat[] {
  const named = (campaign.video_settings?.formats ?? "").split(",").map((f) => f.trim());
  const chosen = VIDEO_FORMATS.filter((f) => named.includes(f));
  return chosen.length ? chosen : [...DEFAULT_VIDEO_FORMATS];
}

/** The campaign with a video format on or off; the last one stays on (a video is at least one file). */
export function withVideoFormat(campaign: Campaign, format: VideoFormat, on: boolean): Campaign {
  const formats = VIDEO_FORMATS.filter((f) => (f === format ? on : videoFormats(campaign).includes(f)));
  if (formats.length === 0) return campaign;
  return { ...campaign, video_settings: { ...campaign.video_settings, formats: formats.join(",") } };
}

/** Whether any variant gives customers pages of their own, served at the base URL: a site, or a video's interactive player. */
export function hasSites(campaign: Campaign): boolean {
  return hasFormat(campaign, "microsite") || (hasVideo(campaign) && videoFormats(campaign).includes("player"));
}

/** The starter pair for a language-suffixed name: `welcome-en` → `welcome-zh`, if it exists. */
function pairOf(name: string, templates: TemplateInfo[]): Templates {
  const base = name.replace(/-(en|zh)$/, "");
  const has = (n: string) => templates.some((t) => t.name === n);
  if (has(`${base}-en`) && has(`${base}-zh`)) return { en: `${base}-en`, zh: `${base}-zh` };
  return { en: name };
}

/** A new campaign for everyone, with one variant in both languages where the templates allow,
 * keyed by `seed` (a new one from the engine: no two campaigns share a split or personal URLs). */
export function newCampaign(name: string, templates: TemplateInfo[], seed: string): Campaign {
  const first = templates.find((t) => t.name.endsWith("-en")) ?? templates[0];
  const variant = withTemplates({ name: "A", weight: 1, email: null, values: {} }, first ? pairOf(first.name, templates) : {});
  return {
    version: 1,
    name,
    seed,
    audience: { all: true },
    holdout: 0,
    variants: [variant],
    fallback_language: null,
    email_settings: { from: "Tessera <hello@example.com>", unsubscribe: "mailto:{from}?subject=unsubscribe-{token}", files: "eml" },
  };
}

/** Another variant (B, C, …) with the same content as the last, for the user to change. */
export function addVariant(campaign: Campaign): Campaign {
  const used = new Set(campaign.variants.map((v) => v.name));
  const name = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".split("").find((n) => !used.has(n)) ?? `${campaign.variants.length + 1}`;
  const last = campaign.variants[campaign.variants.length - 1];
  return { ...campaign, variants: [...campaign.variants, { ...last, name, values: {} }] };
}

/** Merge values as the user types them: `field = value`, one per line. */
export function parseValues(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) values[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return values;
}

export function valuesText(values: Variant["values"]): string {
  return Object.entries(values ?? {}).map(([k, v]) => `${k} = ${typeof v === "string" ? v : JSON.stringify(v)}`).join("\n");
}

/** Which audience the editor shows as chosen. */
export type AudienceChoice = "all" | "segment" | "rule";

export function audienceChoice(audience: Audience): AudienceChoice {
  if ("segment" in audience && audience.segment !== undefined) return "segment";
  if ("rule" in audience && audience.rule !== undefined) return "rule";
  return "all";
}

export function audienceOf(choice: AudienceChoice, segment: string, rule: Rule): Audience {
  if (choice === "segment") return { segment };
  if (choice === "rule") return { rule };
  return { all: true };
}

/** The audience picker's value: everyone, the segment being built, or a saved segment by name. */
export function audienceValue(audience: Audience): string {
  const choice = audienceChoice(audience);
  return choice === "segment" ? `segment:${(audience as { segment: string }).segment}` : choice;
}

export function audienceFromValue(value: string, rule: Rule): Audience {
  if (value.startsWith("segment:")) return { segment: value.slice("segment:".length) };
  return audienceOf(value === "rule" ? "rule" : "all", "", rule);
}

/** Customers who get an email: every variant's (the holdout and the excluded get nothing). */
export function recipients(split: Split): number {
  return split.arms.reduce((sum, arm) => sum + arm.customers, 0);
}

/** Domains reserved for examples and tests (RFC 2606, 6761): mail to them reaches no one. */
const RESERVED_HOST = /(^|\.)(example\.(com|org|net)|example|test|invalid|localhost)$/;
const PLACEHOLDER_WORDS = /your-?domain|placeholder/i;

/** The host names written in an address or link: `a@b.c`, `Shop <a@b.c>`, `https://b.c/x`, `mailto:a@b.c`. */
function hosts(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/:\/\/(?:[^@/\s]*@)?([^\s/:?#>]+)/g)) found.push(m[1]);
  for (const m of text.matchAll(/@([^\s>?/#:,;]+)/g)) found.push(m[1]);
  return found.map((h) => h.toLowerCase().replace(/\.$/, ""));
}

/** Whether a sender or unsubscribe link is a stand-in nobody replaced: empty, a reserved domain, or "yourdomain". */
export function placeholderKind(text: string | undefined): "empty" | "placeholder" | null {
  const value = (text ?? "").trim();
  if (!value) return "empty";
  if (PLACEHOLDER_WORDS.test(value)) return "placeholder";
  return hosts(value).some((h) => RESERVED_HOST.test(h)) ? "placeholder" : null;
}

export type SettingWarning = { field: "from" | "unsubscribe"; kind: "empty" | "placeholder"; value: string };

/** The sender and unsubscribe link that would make the emails useless if rendered as they are. */
export function settingWarnings(settings: EmailSettings | undefined): SettingWarning[] {
  const warnings: SettingWarning[] = [];
  for (const field of ["from", "unsubscribe"] as const) {
    const value = settings?.[field] ?? "";
    const kind = placeholderKind(value);
    if (kind) warnings.push({ field, kind, value: value.trim() });
  }
  return warnings;
}

/**
 * A new folder beside the last render's, named after the campaign and the day
 * (`…/renders/spring-sale-2025-03-01`, then `-2`, … if taken); none without an earlier render to
 * put it beside.
 */
export function freshFolder(lastOut: string | undefined, campaign: string, day: Date, taken: string[] = []): string | null {
  if (!lastOut) return null;
  const separator = lastOut.includes("\\") && !lastOut.includes("/") ? "\\" : "/";
  const trimmed = lastOut.replace(/[\\/]+$/, "");
  const at = trimmed.lastIndexOf(separator);
  if (at < 0) return null;
  const parent = trimmed.slice(0, at) || separator;
  const slug = campaign.trim().toLowerCase().replace(/[\s]+/g, "-").replace(/[<>:"/\\|?*\u0000-\u001f]/g, "").replace(/^[.-]+|[.-]+$/g, "") || "campaign";
  const date = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-${String(day.getDate()).padStart(2, "0")}`;
  const join = (name: string) => (parent.endsWith(separator) ? parent + name : parent + separator + name);
  const used = new Set(taken.map((t) => t.replace(/[\\/]+$/, "")));
  let candidate = join(`${slug}-${date}`);
  for (let n = 2; used.has(candidate); n++) candidate = join(`${slug}-${date}-${n}`);
  return candidate;
}
