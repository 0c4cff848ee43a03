import { useEffect, useRef, useState } from "react";

/**
 * One render at a time. A render asked for while another runs waits, replacing whatever was
 * waiting, so the preview follows edits at once when idle and never falls behind a queue of
 * stale renders when they come faster than it draws. Results are handed on in the order asked
 * (each one newer than the last shown); none once stopped.
 */
export class RenderQueue<T> {
  private running = false;
  private waiting: (() => Promise<T>) | null = null;
  private stopped = false;

  constructor(
    private readonly onResult: (value: T) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  request(render: () => Promise<T>) {
    if (this.stopped) return;
    if (this.running) this.waiting = render;
    else this.run(render);
  }

  start() {
    this.stopped = false;
  }

  stop() {
    this.stopped = true;
    this.waiting = null;
  }

  private run(render: () => Promise<T>) {
    this.running = true;
    let rendered: Promise<T>;
    try {
      rendered = render();
    } catch (error) {
      rendered = Promise.reject(error);
    }
    rendered
      .then(
        (value) => this.stopped || this.onResult(value),
        (error) => this.stopped || this.onError(error),
      )
      .finally(() => {
        this.running = false;
        const next = this.waiting;
        this.waiting = null;
        if (next && !this.stopped) this.run(next);
      });
  }
}

/**
 * Renders again after each change of `deps` (a keystroke, another customer or page) through a
 * {@link RenderQueue}. `render` is null while there is nothing to render yet.
 */
export function useLivePreview<T>(render: (() => Promise<T>) | null, deps: unknown[], onResult: (value: T) => void, onError: (error: unknown) => void) {
  const handlers = useRef({ onResult, onError });
  handlers.current = { onResult, onError };
  const [queue] = useState(() => new RenderQueue<T>((value) => handlers.current.onResult(value), (error) => handlers.current.onError(error)));
  useEffect(() => {
    queue.start();
    return () => queue.stop();
  }, [queue]);
  useEffect(() => {
    if (render) queue.request(render);
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps -- the caller names what the render depends on
}
