// What the preview screen keeps while the user is on other screens (held by the app).

export type PreviewSession = {
  /** The template shown ("" until the list is loaded). */
  template: string;
  /** The saved campaign shown instead of the template ("" for none). */
  campaign: string;
  /** The saved segment whose members are stepped through ("" for everyone). */
  segment: string;
  /** 0-based position among the customers stepped through (everyone, or the segment's members). */
  position: number;
  grid: boolean;
};

export const newPreviewSession = (): PreviewSession => ({ template: "", campaign: "", segment: "", position: 0, grid: false });

/** A position moved by `by`, kept among the `total` customers. */
export function stepped(position: number, by: number, total: number): number {
  return Math.min(Math.max(position + by, 0), Math.max(total - 1, 0));
}
