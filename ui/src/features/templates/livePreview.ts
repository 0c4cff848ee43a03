import { useEffect } from "react";

/**
 * Renders again one frame after each change of `deps` (a keystroke, another customer or page),
 * so typing is never held up; a result that arrives after a newer change is dropped. `render` is
 * null while there is nothing to render yet.
 */
export function useLivePreview<T>(render: (() => Promise<T>) | null, deps: unknown[], onResult: (value: T) => void, onError: (error: unknown) => void) {
  useEffect(() => {
    if (!render) return;
    let current = true;
    const timer = setTimeout(() => {
      render().then(
        (value) => current && onResult(value),
        (error) => current && onError(error),
      );
    }, 16);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps -- the caller names what the render depends on
}
