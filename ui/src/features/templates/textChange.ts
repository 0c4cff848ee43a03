/**
 * The one change that turns `before` into `after`: the span of `before` between their common
 * start and common end, and what replaces it. Applied to an editor, a form's edit elsewhere in
 * the text moves no cursor and re-highlights only what changed. Never splits a surrogate pair.
 */
export function textChange(before: string, after: string): { from: number; to: number; insert: string } {
  const most = Math.min(before.length, after.length);
  let from = 0;
  while (from < most && before.charCodeAt(from) === after.charCodeAt(from)) from++;
  if (from > 0 && isHighSurrogate(before.charCodeAt(from - 1))) from--;
  let same = 0;
  while (same < most - from && before.charCodeAt(before.length - 1 - same) === after.charCodeAt(after.length - 1 - same)) same++;
  if (same > 0 && isLowSurrogate(before.charCodeAt(before.length - same))) same--;
  return { from, to: before.length - same, insert: after.slice(from, after.length - same) };
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
