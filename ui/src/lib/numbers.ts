// Numbers as the user's language writes them ("2,000" in English): one helper for every screen.
import { useTranslation } from "react-i18next";

/** `n` in `language`, with at most `digits` fraction digits (3, as `toLocaleString` has it). */
export function formatNumber(n: number | null | undefined, language: string, digits = 3): string {
  return (n ?? 0).toLocaleString(language, { maximumFractionDigits: digits });
}

/** `formatNumber` in the language the app is shown in. */
export function useNumber(): (n: number | null | undefined, digits?: number) => string {
  const { i18n } = useTranslation();
  return (n, digits) => formatNumber(n, i18n.language, digits);
}

/** A file's size in kilobytes as `language` writes it ("57 kB", "57千字节"). */
export function formatKilobytes(bytes: number, language: string): string {
  return new Intl.NumberFormat(language, { style: "unit", unit: "kilobyte", maximumFractionDigits: 0 }).format(Math.ceil(bytes / 1024));
}
