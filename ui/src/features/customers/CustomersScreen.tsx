import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNumber } from "../../lib/numbers";
import { ErrorMessage } from "../../lib/ErrorMessage";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { CustomerRow, SortKey, WorkspaceStatus } from "../../lib/bindings";
import { backend } from "../../lib/backend";
import { PAGE_SIZE, pagesFor, rowAt } from "./pages";
import { ProfilePanel } from "./ProfilePanel";
import { ImportWizard } from "./ImportWizard";
import { DuplicatesReview } from "./DuplicatesReview";

const COLUMNS: { key: SortKey | null; label: string }[] = [
  { key: "id", label: "#" },
  { key: "name", label: "customers.name" },
  { key: "email", label: "customers.email" },
  { key: null, label: "customers.phone" },
  { key: null, label: "customers.locale" },
];

export function CustomersScreen({ workspace, onImported }: { workspace: WorkspaceStatus; onImported: (s: WorkspaceStatus) => void }) {
  const { t } = useTranslation();
  const number = useNumber();
  // Set once the first page for the current search has come back.
  const [loaded, setLoaded] = useState(false);
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<SortKey>("id");
  const [descending, setDescending] = useState(false);
  const [total, setTotal] = useState(0);
  const [pages, setPages] = useState(new Map<number, CustomerRow[]>());
  const [selected, setSelected] = useState<number | null>(null);
  const [importing, setImporting] = useState(false);
  const [reviewing, setReviewing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);
  const requested = useRef(new Set<number>());

  const rows = useVirtualizer({ count: total, getScrollElement: () => scroller.current, estimateSize: () => 36, overscan: 20 });
  const visible = rows.getVirtualItems();

  // A new search or sort starts over from the first page.
  useEffect(() => {
    requested.current = new Set([0]);
    const query = { search, sort, descending, offset: 0, limit: PAGE_SIZE };
    const timer = setTimeout(() => {
      backend.customersPage(query).then(
        (page) => {
          setTotal(page.total);
          setPages(new Map([[0, page.rows]]));
          setLoaded(true);
          setError(null);
          scroller.current?.scrollTo({ top: 0 });
        },
        (e) => setError(e),
      );
    }, 120);
    return () => clearTimeout(timer);
  }, [search, sort, descending, generation]);

  const first = visible[0]?.index ?? 0;
  const last = visible[visible.length - 1]?.index ?? -1;
  useEffect(() => {
    for (const p of pagesFor(first, last)) {
      if (requested.current.has(p)) continue;
      requested.current.add(p);
      backend.customersPage({ search, sort, descending, offset: p * PAGE_SIZE, limit: PAGE_SIZE }).then(
        (page) => setPages((old) => new Map(old).set(p, page.rows)),
        (e) => setError(e),
      );
    }
  }, [first, last, search, sort, descending]);

  function sortBy(key: SortKey) {
    if (key === sort) setDescending(!descending);
    else {
      setSort(key);
      setDescending(false);
    }
  }

  return (
    <section className="customers">
      <h1>{t("customers.title")}</h1>
      <div className="toolbar">
        <input data-testid="customer-search" type="search" aria-label={t("customers.search")} placeholder={t("customers.search")} value={search} onChange={(e) => setSearch(e.target.value)} />
        <span className="muted" data-testid="customer-total">{t("customers.total", { count: total, n: number(total) })}</span>
        <button data-testid="import-open" onClick={() => setImporting(true)}>{t("customers.import")}</button>
        {workspace.possible_duplicates > 0 && (
          <button data-testid="duplicates-open" onClick={() => setReviewing(true)}>{t("customers.duplicatesOpen", { n: number(workspace.possible_duplicates) })}</button>
        )}
      </div>
      {error !== null && <ErrorMessage error={error} />}
      {reviewing && (
        <DuplicatesReview
          onClose={() => setReviewing(false)}
          onDecided={async () => {
            setGeneration((g) => g + 1);
            onImported(await backend.workspaceStatus());
          }}
        />
      )}
      {importing && (
        <ImportWizard
          attributes={workspace.attributes.map((a) => a.name)}
          onClose={() => setImporting(false)}
          onImported={async () => {
            setGeneration((g) => g + 1);
            onImported(await backend.workspaceStatus());
          }}
        />
      )}
      <div className="split">
        <div className="table" role="table" aria-rowcount={total}>
          <div className="row head" role="row">
            {COLUMNS.map((c) => (
              <div key={c.label} role="columnheader" className="cell" aria-sort={c.key === sort ? (descending ? "descending" : "ascending") : undefined}>
                {c.key ? (
                  <button className="link" title={t("customers.sortBy", { column: t(c.label) })} onClick={() => sortBy(c.key!)}>
                    {c.label === "#" ? "#" : t(c.label)} {c.key === sort ? (descending ? "▼" : "▲") : ""}
                  </button>
                ) : (
                  t(c.label)
                )}
              </div>
            ))}
          </div>
          {loaded && total === 0 && (
            <p className="empty" role="status" data-testid="customer-empty">
              {search.trim() ? t("customers.noMatch", { search: search.trim() }) : t("customers.none")}
            </p>
          )}
          <div className="body" ref={scroller} data-testid="customer-rows">
            <div style={{ height: rows.getTotalSize(), position: "relative" }}>
              {visible.map((v) => {
                const c = rowAt(pages, v.index);
                return (
                  <div
                    key={v.key}
                    role="row"
                    tabIndex={0}
                    className={c && c.id === selected ? "row selected" : "row"}
                    style={{ position: "absolute", top: 0, transform: `translateY(${v.start}px)`, height: v.size, width: "100%" }}
                    onClick={() => c && setSelected(c.id)}
                    onKeyDown={(e) => e.key === "Enter" && c && setSelected(c.id)}
                  >
                    {c ? (
                      <>
                        <div className="cell mono">{number(c.id)}</div>
                        <div className="cell">{c.name ?? <span className="muted">{t("customers.noName")}</span>}</div>
                        <div className="cell">{c.email}</div>
                        <div className="cell">{c.phone}</div>
                        <div className="cell">{c.locale}</div>
                      </>
                    ) : (
                      <div className="cell muted">…</div>
                    )}
                  </div>
                );
              })}
            </div>
          </div>
        </div>
        {selected !== null && <ProfilePanel id={selected} generation={generation} onClose={() => setSelected(null)} />}
      </div>
    </section>
  );
}
