// Numbers on the Segments screen, written the way the user's language writes them.
import { formatNumber } from "../../lib/numbers";

/** `1234567` as "1,234,567" in English (and as Chinese writes it in Chinese). */
export function count(n: number, language: string): string {
  return formatNumber(n, language);
}

/**
 * `part` as a share of `whole`, readable down to tiny segments: "12.5%", "0.42%", "<0.01%" (never
 * "0%" for a segment that has customers, nor "100%" for one that misses some).
 */
export function share(part: number, whole: number, language: string): string {
  const percent = (x: number, digits: number) => x.toLocaleString(language, { style: "percent", maximumFractionDigits: digits });
  if (whole <= 0 || part <= 0) return percent(0, 0);
  if (part >= whole) return percent(1, 0);
  const x = part / whole;
  if (x < 0.0001) return `<${percent(0.0001, 2)}`;
  if (x > 0.999) return `>${percent(0.999, 1)}`;
  return percent(x, x < 0.1 ? 2 : 1);
}

/** The customers a page shows, counted from 1 ("21–40"), or `null` for an empty page. */
export function pageRange(offset: number, shown: number, total: number): { from: number; to: number } | null {
  if (shown <= 0 || offset >= total) return null;
  return { from: offset + 1, to: Math.min(offset + shown, total) };
}
