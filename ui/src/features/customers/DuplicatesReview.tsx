import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNumber } from "../../lib/numbers";
import { ErrorMessage } from "../../lib/ErrorMessage";
import type { DuplicateDecision, DuplicateSide, PossibleDuplicate } from "../../lib/bindings";
import { backend } from "../../lib/backend";
import { formatDate, identityLabel } from "./profileText";

/** Customers an import kept apart although they share a phone or an email: side by side, each
 * pair merged (the one on the left keeps its values, the other fills what it lacks) or kept
 * apart for good. Nothing is merged without the user. */
/** Pairs shown at once: a shop's shared number can make thousands; decided ones make room. */
const SHOWN = 50;

export function DuplicatesReview({ onClose, onDecided }: { onClose: () => void; onDecided: () => void }) {
  const { t, i18n } = useTranslation();
  const number = useNumber();
  const [pairs, setPairs] = useState<PossibleDuplicate[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    backend.duplicatesList().then((p) => current && setPairs(p), (e) => current && setError(e));
    return () => {
      current = false;
    };
  }, [generation]);

  async function decide(keep: number, other: number, decision: DuplicateDecision) {
    setBusy(true);
    setError(null);
    try {
      await backend.duplicateDecide(keep, other, decision);
      onDecided();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      setGeneration((g) => g + 1);
    }
  }

  return (
    <div className="panel" role="dialog" aria-label={t("duplicates.title")} data-testid="duplicates-review">
      <h2>{t("duplicates.title")}</h2>
      <p className="muted">{t("duplicates.explain")}</p>
      {error !== null && <ErrorMessage error={error} />}
      {pairs !== null && pairs.length === 0 && <p role="status" data-testid="duplicates-none">{t("duplicates.none")}</p>}
      {pairs !== null && pairs.length > SHOWN && (
        <p className="muted" role="status" data-testid="duplicates-more">{t("duplicates.more", { shown: number(SHOWN), total: number(pairs.length) })}</p>
      )}
      {pairs?.slice(0, SHOWN).map((p) => (
        <div className="duplicate" key={`${p.customer.id}-${p.other.id}`} data-testid="duplicate-pair">
          <p>
            {t("duplicates.share", { key: identityLabel(p.matched_on, t) })}
            <span className="muted">
              {" · "}
              {p.import_file
                ? t("duplicates.foundIn", { file: p.import_file.split(/[\\/]/).pop(), date: formatDate(p.found_at, i18n.language) })
                : formatDate(p.found_at, i18n.language)}
            </span>
          </p>
          <div className="pair">
            <Side side={p.customer} />
            <Side side={p.other} />
          </div>
          <div className="toolbar">
            <button data-testid="duplicate-merge" disabled={busy} onClick={() => decide(p.customer.id, p.other.id, "merge")}>
              {t("duplicates.merge", { keep: number(p.customer.id), other: number(p.other.id) })}
            </button>
            <button data-testid="duplicate-keep-apart" disabled={busy} onClick={() => decide(p.customer.id, p.other.id, "keep_apart")}>
              {t("duplicates.keepApart")}
            </button>
          </div>
        </div>
      ))}
      <div className="toolbar">
        <button data-testid="duplicates-close" onClick={onClose}>{t("duplicates.close")}</button>
      </div>
    </div>
  );
}

function Side({ side }: { side: DuplicateSide }) {
  const { t } = useTranslation();
  const number = useNumber();
  const none = <span className="muted">—</span>;
  return (
    <dl className="facts" data-testid="duplicate-side">
      <dt>#</dt>
      <dd>{number(side.id)}</dd>
      <dt>{t("customers.name")}</dt>
      <dd>{side.name ?? none}</dd>
      <dt>{t("customers.email")}</dt>
      <dd>{side.email ?? none}</dd>
      <dt>{t("customers.phone")}</dt>
      <dd>{side.phone ?? none}</dd>
      <dt>{t("customers.keyKind.external")}</dt>
      <dd>{side.customer_numbers.length > 0 ? side.customer_numbers.join(", ") : none}</dd>
      <dt>{t("duplicates.events")}</dt>
      <dd>{number(side.events)}</dd>
    </dl>
  );
}
