import type { RenderedEmail } from "../../lib/bindings";

/** A rendered email in a sandboxed frame: no scripts, no same-origin, so neither customer data nor
 * template HTML can run code in the app. */
export function EmailFrame({ email, width, height = 640 }: { email: RenderedEmail; width: number; height?: number }) {
  return (
    <figure className="email-frame" style={{ width }}>
      <figcaption data-testid="email-subject">{email.subject}</figcaption>
      <iframe title={email.subject} sandbox="" srcDoc={email.html} style={{ width, height }} data-testid="email-frame" />
    </figure>
  );
}
