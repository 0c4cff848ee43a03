import { useCallback, useLayoutEffect, useRef } from "react";

/**
 * A function that stays the same from render to render and calls the latest `f`: a memoized
 * child given it is not rendered again just for a new closure (a live preview's result redraws
 * the frame, not the source editor beside it).
 */
export function useStableCallback<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => R {
  const latest = useRef(f);
  useLayoutEffect(() => {
    latest.current = f;
  });
  return useCallback((...args: A) => latest.current(...args), []);
}
