import { useLayoutEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { RenderedEmail } from "../../lib/bindings";

/** The narrowest desktop view: a 600px email with its margins (a site's page is laid out as wide). */
export const DESKTOP_MIN = 640;
export const MOBILE_WIDTH = 390;

/** How much a frame `width` wide must shrink to fit `available` pixels (never enlarged). */
export function frameScale(width: number, available: number | null): number {
  if (!available || available >= width) return 1;
  return Math.max(available / width, 0.1);
}

/** What a frame shows: an email (its subject as the caption), or a site's page (its title). */
export type Framed = Pick<RenderedEmail, "subject" | "html">;

/**
 * A rendered email or site page in a sandboxed frame: no scripts, no same-origin, no forms, no
 * popups, so neither customer data nor template HTML can run code in the app or leave it. The email is laid out at the full width of the view
 * (desktop: at least 640px, so a 600px email is never cut; mobile: 390px) and, where the pane is
 * narrower, scaled down as a whole rather than cut. It scrolls inside the frame. `stale`: the
 * latest edit did not render, so this is the last one that did; it says so and is dimmed.
 */
export function PreviewFrame({ email, width = 800, mobile = false, height = 700, testId = "email-frame", captionTestId = "email-subject", stale = false }: { email: Framed; width?: number; mobile?: boolean; height?: number; testId?: string; captionTestId?: string; stale?: boolean }) {
  const { t } = useTranslation();
  const layout = mobile ? MOBILE_WIDTH : Math.max(width, DESKTOP_MIN);
  const box = useRef<HTMLElement>(null);
  const [available, setAvailable] = useState<number | null>(null);
  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    setAvailable(element.clientWidth);
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => setAvailable(entry.contentRect.width));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const scale = frameScale(layout, available);
  return (
    <figure className={stale ? "email-frame stale" : "email-frame"} ref={box} style={{ maxWidth: layout }} data-width={layout}>
      {stale && <p className="warn" data-testid={`${testId}-stale`}>{t("preview.stale")}</p>}
      <figcaption data-testid={captionTestId}>{email.subject}</figcaption>
      <div className="email-viewport" style={{ width: layout * scale, height }}>
        <iframe
          title={email.subject}
          sandbox=""
          srcDoc={email.html}
          data-testid={testId}
          style={{ width: layout, height: height / scale, transform: scale < 1 ? `scale(${scale})` : undefined }}
        />
      </div>
    </figure>
  );
}
