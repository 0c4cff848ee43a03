import { useLayoutEffect, useRef, useState } from "react";
import type { RenderedEmail } from "../../lib/bindings";

/** The narrowest desktop view: a 600px email with its margins. */
export const DESKTOP_MIN = 640;
export const MOBILE_WIDTH = 390;

/** How much a frame `width` wide must shrink to fit `available` pixels (never enlarged). */
export function frameScale(width: number, available: number | null): number {
  if (!available || available >= width) return 1;
  return Math.max(available / width, 0.1);
}

/**
 * A rendered email in a sandboxed frame: no scripts, no same-origin, so neither customer data nor
 * template HTML can run code in the app. The email is laid out at the full width of the view
 * (desktop: at least 640px, so a 600px email is never cut; mobile: 390px) and, where the pane is
 * narrower, scaled down as a whole rather than cut. It scrolls inside the frame.
 */
export function EmailFrame({ email, width = 800, mobile = false, height = 700 }: { email: RenderedEmail; width?: number; mobile?: boolean; height?: number }) {
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
    <figure className="email-frame" ref={box} style={{ maxWidth: layout }}>
      <figcaption data-testid="email-subject">{email.subject}</figcaption>
      <div className="email-viewport" style={{ width: layout * scale, height }}>
        <iframe
          title={email.subject}
          sandbox=""
          srcDoc={email.html}
          data-testid="email-frame"
          style={{ width: layout, height: height / scale, transform: scale < 1 ? `scale(${scale})` : undefined }}
        />
      </div>
    </figure>
  );
}
