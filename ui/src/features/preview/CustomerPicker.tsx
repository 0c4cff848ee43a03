import { useEffect, useId, useState, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import type { CustomerRow } from "../../lib/bindings";
import { backend } from "../../lib/backend";

/** How a customer is named in a list: their name as their culture writes it, else email, else id. */
export function customerLabel(c: Pick<CustomerRow, "id" | "name" | "email">): string {
  return c.name || c.email || `#${c.id}`;
}

/**
 * Find a customer by name (or email, phone) and pick one: the first matches by name, with their
 * email to tell namesakes apart. Arrow keys move through the matches, Enter picks, Escape closes.
 */
export function CustomerPicker({
  onPick,
  chosen,
  inputTestId,
  optionTestId,
  chosenTestId,
  label,
}: {
  onPick: (customer: CustomerRow) => void;
  /** The customer picked now, shown beside the field. */
  chosen?: CustomerRow | null;
  inputTestId: string;
  optionTestId: string;
  chosenTestId?: string;
  label?: string;
}) {
  const { t } = useTranslation();
  const list = useId();
  const [search, setSearch] = useState("");
  const [found, setFound] = useState<CustomerRow[] | null>(null);
  const [active, setActive] = useState(0);

  useEffect(() => {
    if (!search.trim()) {
      setFound(null);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      backend.customersPage({ search, sort: "name", descending: false, offset: 0, limit: 8 }).then(
        (p) => current && (setFound(p.rows), setActive(0)),
        () => current && setFound([]),
      );
    }, 120);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [search]);

  function pick(customer: CustomerRow) {
    setSearch("");
    setFound(null);
    onPick(customer);
  }

  function onKey(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === "Escape") {
      setSearch("");
      return;
    }
    if (!found || found.length === 0) return;
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setActive((a) => (a + 1) % found.length);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => (a - 1 + found.length) % found.length);
    } else if (e.key === "Enter") {
      e.preventDefault();
      pick(found[Math.min(active, found.length - 1)]);
    }
  }

  const open = found !== null;
  return (
    <span className="search customer-picker">
      {label && <span className="picker-label">{label} </span>}
      <input
        data-testid={inputTestId}
        type="search"
        role="combobox"
        aria-label={label ?? t("preview.search")}
        aria-expanded={open}
        aria-controls={list}
        aria-autocomplete="list"
        placeholder={t("preview.searchByName")}
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        onKeyDown={onKey}
      />
      {chosen && (
        <span className="chosen" data-testid={chosenTestId}>
          {customerLabel(chosen)}
          {chosen.email && chosen.name && <span className="muted"> {chosen.email}</span>}
        </span>
      )}
      {open && (
        <ul className="found" role="listbox" id={list}>
          {found.length === 0 && <li className="muted">{t("preview.noMatch")}</li>}
          {found.map((c, i) => (
            <li key={c.id} role="option" aria-selected={i === active} className={i === active ? "active" : undefined}>
              <button className="link" data-testid={optionTestId} onClick={() => pick(c)} onMouseEnter={() => setActive(i)}>
                {customerLabel(c)}{c.name && c.email && <span className="muted"> {c.email}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}
