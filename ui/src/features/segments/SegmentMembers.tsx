import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ErrorMessage } from "../../lib/ErrorMessage";

import { count, pageRange } from "./format";

export type MemberRow = { id: number; name: string | null; email: string | null };
export type MemberPage = { total: number; rows: MemberRow[] };
export type LoadMembers = (offset: number, limit: number) => Promise<MemberPage>;

export const PAGE_SIZE = 20;

/**
 * The segment's customers a page at a time, with Previous and Next. A new `load` (the counted rule
 * changed) starts again from the first page; keep `load` the same function while the rule is.
 */
export function SegmentMembers({ load, pageSize = PAGE_SIZE }: { load: LoadMembers; pageSize?: number }) {
  const { t, i18n } = useTranslation();
  const n = (x: number) => count(x, i18n.language);
  // The page asked for, with the `load` it was asked of: another rule starts at its first page.
  const [at, setAt] = useState({ load, offset: 0 });
  const offset = at.load === load ? at.offset : 0;
  const [page, setPage] = useState<(MemberPage & { offset: number }) | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      // Through a promise, so that a `load` that throws is shown like one that rejects.
      Promise.resolve()
        .then(() => load(offset, pageSize))
        .then(
          (p) => current && (setPage({ ...p, offset }), setError(null)),
          (e) => current && setError(e),
        );
    }, 80);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [load, offset, pageSize]);

  const range = page && pageRange(page.offset, page.rows.length, page.total);
  const go = (to: number) => setAt({ load, offset: Math.max(0, to) });
  return (
    <section className="members">
      <h2>{t("segments.members.title")}</h2>
      {error !== null && (
        <>
          <p className="muted">{t("segments.members.failed")}</p>
          <ErrorMessage error={error} />
        </>
      )}
      {!page && !error && <p className="muted">{t("segments.members.loading")}</p>}
      {page && page.total === 0 && <p className="muted">{t("segments.members.none")}</p>}
      {page && page.total > 0 && (
        <>
          <div className="preview-table">
            <table data-testid="segment-members">
              <thead>
                <tr>
                  <th>{t("segments.members.name")}</th>
                  <th>{t("segments.members.email")}</th>
                </tr>
              </thead>
              <tbody>
                {page.rows.map((row) => (
                  <tr key={row.id} data-testid="segment-member">
                    <td>{row.name?.trim() || row.email || t("segments.members.customer", { id: row.id })}</td>
                    <td>{row.email ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="toolbar">
            <button disabled={offset === 0} onClick={() => go(offset - pageSize)}>{t("segments.members.previous")}</button>
            <span className="muted" data-testid="segment-members-range">
              {range && t("segments.members.range", { from: n(range.from), to: n(range.to), total: n(page.total) })}
            </span>
            <button disabled={offset + pageSize >= page.total} onClick={() => go(offset + pageSize)}>{t("segments.members.next")}</button>
          </div>
        </>
      )}
    </section>
  );
}
