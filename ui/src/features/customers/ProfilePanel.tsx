import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNumber } from "../../lib/numbers";
import { ErrorMessage } from "../../lib/ErrorMessage";
import type { CustomerProfile, EventView } from "../../lib/bindings";
import { backend } from "../../lib/backend";
import { attributeLabel, eventDetails, eventLabel, formatDate, formatMoney, formatValue, identityLabel } from "./profileText";

/** The 360° view of one customer: orders, scores explained, segments, identities, merged
 * records, attributes, tags, consent and the event timeline. Reloads after an import
 * (`generation` changes), so what it shows is what the workspace holds. */
export function ProfilePanel({ id, generation, onClose }: { id: number; generation: number; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language;
  const number = useNumber();
  const [customer, setCustomer] = useState<CustomerProfile | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let current = true;
    setError(null);
    backend.customerGet(id).then((c) => current && setCustomer(c), (e) => current && setError(e));
    return () => {
      current = false;
    };
  }, [id, generation]);
  const shown = customer?.id === id ? customer : null;
  const scores = shown?.scores;
  const emailRevoked = shown?.consent.email === false;
  return (
    <aside className="profile" data-testid="profile" aria-label={t("customers.profile")}>
      <header>
        <h2 data-testid="profile-name">{shown ? shown.name || shown.email || t("customers.unnamed", { id }) : "…"}</h2>
        <button onClick={onClose}>{t("customers.close")}</button>
      </header>
      {error !== null && <ErrorMessage error={error} />}
      {shown && (
        <>
          {(emailRevoked || !shown.email) && (
            <p className="warn" data-testid="profile-unreachable">{emailRevoked ? t("customers.optedOut") : t("customers.noEmail")}</p>
          )}
          <h3>{t("customers.orders")}</h3>
          <dl className="attributes" data-testid="profile-orders">
            <div><dt>{t("customers.orderCount")}</dt><dd>{t("customers.ordersCount", { count: shown.orders.count, n: number(shown.orders.count) })}</dd></div>
            {shown.orders.spend.map((s) => (
              <div key={s.currency ?? ""}><dt>{t("customers.spend")}</dt><dd>{formatMoney(s.total ?? 0, s.currency, language)}</dd></div>
            ))}
            {shown.orders.last_order && <div><dt>{t("customers.lastOrder")}</dt><dd>{formatDate(shown.orders.last_order, language)}</dd></div>}
          </dl>
          {scores && (
            <>
              <h3>{t("customers.scores")}</h3>
              <dl className="attributes" data-testid="profile-scores">
                <div>
                  <dt>{t("customers.rfm")}</dt>
                  <dd>
                    {t(`rfmGroups.${scores.rfm_group}`)}
                    <div className="muted">{t("customers.rfmExplain", { count: scores.frequency, r: scores.r, f: scores.f, m: scores.m, days: number(scores.recency_days), orders: number(scores.frequency) })}</div>
                  </dd>
                </div>
                <div>
                  <dt>{t("customers.value")}</dt>
                  <dd>{number(scores.value, 2)} · {t(`segments.band.${scores.value_band}`)}</dd>
                </div>
                {scores.attrition !== null && scores.attrition_band && (
                  <div>
                    <dt>{t("customers.attrition")}</dt>
                    <dd>
                      {number(scores.attrition * 100, 0)}% · {t(`segments.band.${scores.attrition_band}`)}
                      <div className="muted">{t("customers.attritionExplain", { count: scores.frequency, orders: number(scores.frequency), days: number(scores.recency_days) })}</div>
                    </dd>
                  </div>
                )}
                {scores.potential !== null && scores.potential_band && (
                  <div>
                    <dt>{t("customers.potential")}</dt>
                    <dd>
                      {number(scores.potential, 2)} · {t(`segments.band.${scores.potential_band}`)}
                      {scores.expected_purchases !== null && (
                        <div className="muted">{t("customers.potentialExplain", { purchases: number(scores.expected_purchases, 1), value: number(scores.expected_value, 2) })}</div>
                      )}
                    </dd>
                  </div>
                )}
              </dl>
            </>
          )}
          <h3>{t("customers.segments")}</h3>
          {shown.segments.length > 0 ? (
            <ul className="chips" data-testid="profile-segments">{shown.segments.map((s) => <li key={s}>{s}</li>)}</ul>
          ) : (
            <p className="muted">{t("customers.noSegments")}</p>
          )}
          <h3>{t("customers.received")}</h3>
          {shown.received.length > 0 ? (
            <table className="received" data-testid="profile-received">
              <thead><tr><th>{t("customers.receivedCampaign")}</th><th>{t("customers.receivedVariant")}</th><th>{t("customers.receivedPages")}</th><th>{t("customers.receivedEmail")}</th></tr></thead>
              <tbody>
                {shown.received.map((r) => (
                  <tr key={r.run}>
                    <td>{r.campaign}<br /><span className="muted">{formatDate(r.at, language)}</span></td>
                    <td>{r.arm}</td>
                    <td>
                      {r.site_url && <div><span className="muted">{t("customers.receivedSite")} </span><span className="mono selectable" data-testid="profile-site-url">{r.site_url}</span></div>}
                      {r.video_url && <div><span className="muted">{t("customers.receivedVideo")} </span><span className="mono selectable">{r.video_url}</span></div>}
                      {!r.site_url && !r.video_url && <span className="muted">{r.formats.map((f) => t(`customers.format.${f}`)).join(" · ")}</span>}
                    </td>
                    <td data-testid="profile-email-state" title={r.email?.reply ?? ""}>
                      {r.email ? <>{t(`send.state.${r.email.state}`)}{r.email.updated_at && <><br /><span className="muted">{formatDate(r.email.updated_at, language)}</span></>}</> : <span className="muted">{r.formats.includes("email") ? t("customers.notSentYet") : "—"}</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">{t("customers.receivedNone")}</p>
          )}
          <h3>{t("customers.keys")}</h3>
          <ul className="chips" data-testid="profile-keys">{shown.keys.map((k) => <li key={k}>{identityLabel(k, t)}</li>)}</ul>
          {shown.merged_from.length > 0 && (
            <>
              <h3>{t("customers.merged")}</h3>
              <ul className="plain" data-testid="profile-merged">
                {shown.merged_from.map((m) => (
                  <li key={m.customer_id}>
                    {t("customers.mergedFrom", { id: m.customer_id, key: identityLabel(m.matched_on, t), date: formatDate(m.merged_at, language) })}
                    {m.import_file && <span className="muted"> · {t("customers.mergedImport", { file: m.import_file.split(/[\\/]/).pop() })}</span>}
                    {m.by_hand && <span className="muted"> · {t("customers.mergedByHand")}</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
          <h3>{t("customers.tags")}</h3>
          {shown.tags.length > 0 ? <ul className="chips">{shown.tags.map((tag) => <li key={tag}>{tag}</li>)}</ul> : <p className="muted">{t("customers.noTags")}</p>}
          <h3>{t("customers.consent")}</h3>
          {Object.keys(shown.consent).length === 0 && <p className="muted">{t("customers.noConsent")}</p>}
          <ul className="chips" data-testid="profile-consent">
            {Object.entries(shown.consent).map(([channel, granted]) => (
              <li key={channel} className={granted ? "ok" : "warn"}>
                {t(`segments.channel.${channel}`, { defaultValue: channel })} · {granted ? t("customers.granted") : t("customers.revoked")}
              </li>
            ))}
          </ul>
          <h3>{t("customers.attributes")}</h3>
          <dl className="attributes" data-testid="profile-attributes">
            {Object.entries(shown.attributes).map(([name, value]) => (
              <div key={name}><dt title={name}>{attributeLabel(name, t)}</dt><dd>{formatValue(value, language)}</dd></div>
            ))}
          </dl>
          <h3>{t("customers.events")} ({number(shown.events.length)})</h3>
          {shown.events.length === 0 && <p className="muted">{t("customers.noEvents")}</p>}
          <ol className="timeline" data-testid="profile-events">
            {shown.events.slice(0, 100).map((e, i) => <EventItem key={i} event={e} currency={shown.orders.spend.length === 1 ? shown.orders.spend[0].currency : null} />)}
          </ol>
          {shown.events.length > 100 && <p className="muted">{t("customers.moreEvents", { count: shown.events.length - 100 })}</p>}
        </>
      )}
    </aside>
  );
}

/** One event as a line of the timeline: when, what, the amount, the product (with its image). */
function EventItem({ event, currency }: { event: EventView; currency: string | null }) {
  const { t, i18n } = useTranslation();
  const properties = (event.properties ?? {}) as Record<string, unknown>;
  const { product, category, image, url: _url, currency: own, ...rest } = properties;
  const amount = event.value === null ? null : formatMoney(event.value, typeof own === "string" ? own : currency, i18n.language);
  const [imageFailed, setImageFailed] = useState(false);
  return (
    <li>
      <time dateTime={event.occurred_at}>{formatDate(event.occurred_at, i18n.language)}</time>{" "}
      <b>{eventLabel(event.type, t)}</b>
      {amount && <> · {amount}</>}
      {typeof product === "string" && <> · {product}</>}
      {typeof category === "string" && <span className="muted"> ({category})</span>}
      {typeof image === "string" && image.startsWith("data:") && !imageFailed && (
        <img className="thumb" src={image} alt={typeof product === "string" ? product : ""} onError={() => setImageFailed(true)} />
      )}
      {Object.keys(rest).length > 0 && (
        <span className="muted"> · {eventDetails(rest, t, i18n.language)}</span>
      )}
    </li>
  );
}
