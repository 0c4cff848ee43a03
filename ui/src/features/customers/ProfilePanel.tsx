import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { CustomerView } from "../../lib/bindings";
import { backend, errorText } from "../../lib/backend";

/** The 360° view of one customer: identities, attributes, tags, consent and events. */
export function ProfilePanel({ id, onClose }: { id: number; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const number = (n: number | null, digits = 0) => (n ?? 0).toLocaleString(i18n.language, { maximumFractionDigits: digits });
  const [customer, setCustomer] = useState<CustomerView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setCustomer(null);
    backend.customerGet(id).then(setCustomer, (e) => setError(errorText(e)));
  }, [id]);
  return (
    <aside className="profile" data-testid="profile">
      <header>
        <h2>{customer ? customer.name || customer.email : `#${id}`}</h2>
        <button onClick={onClose}>{t("customers.close")}</button>
      </header>
      {error && <p className="error">{error}</p>}
      {customer && (
        <>
          {customer.scores && (
            <>
              <h3>{t("customers.scores")}</h3>
              <dl className="attributes" data-testid="profile-scores">
                <div><dt>{t("customers.rfm")}</dt><dd>{t(`rfmGroups.${customer.scores.rfm_group}`)} (R{customer.scores.r} F{customer.scores.f} M{customer.scores.m})</dd></div>
                <div><dt>{t("customers.value")}</dt><dd>{number(customer.scores.value, 2)} · {t(`segments.band.${customer.scores.value_band}`)}</dd></div>
                {customer.scores.attrition !== null && customer.scores.attrition_band && (
                  <div><dt>{t("customers.attrition")}</dt><dd>{number(customer.scores.attrition * 100)}% · {t(`segments.band.${customer.scores.attrition_band}`)}</dd></div>
                )}
                {customer.scores.potential !== null && customer.scores.potential_band && (
                  <div><dt>{t("customers.potential")}</dt><dd>{number(customer.scores.potential, 2)} · {t(`segments.band.${customer.scores.potential_band}`)}</dd></div>
                )}
                <div><dt>{t("customers.lastPurchase")}</dt><dd>{t("customers.daysAgo", { count: customer.scores.recency_days })}</dd></div>
              </dl>
            </>
          )}
          <h3>{t("customers.keys")}</h3>
          <ul className="chips">{customer.keys.map((k) => <li key={k}>{k}</li>)}</ul>
          <h3>{t("customers.tags")}</h3>
          <ul className="chips">{customer.tags.map((tag) => <li key={tag}>{tag}</li>)}</ul>
          <h3>{t("customers.consent")}</h3>
          <ul className="chips">
            {Object.entries(customer.consent).map(([channel, granted]) => (
              <li key={channel} className={granted ? "ok" : "warn"}>{channel}: {granted ? t("customers.granted") : t("customers.revoked")}</li>
            ))}
          </ul>
          <h3>{t("customers.attributes")}</h3>
          <dl className="attributes">
            {Object.entries(customer.attributes).map(([name, value]) => (
              <div key={name}><dt>{name}</dt><dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd></div>
            ))}
          </dl>
          <h3>{t("customers.events")} ({customer.events.length})</h3>
          <ol className="timeline">
            {customer.events.slice(0, 100).map((e, i) => (
              <li key={i}>
                <time>{e.occurred_at.slice(0, 10)}</time> <b>{e.type}</b> {e.value ?? ""}{" "}
                <span className="muted">{Object.entries((e.properties ?? {}) as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`).join(", ")}</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </aside>
  );
}
