// The width of an element in CSS px, kept up to date: every canvas view
// draws to its container's width.

import { useLayoutEffect, useState, type RefObject } from "react";

/** The current `clientWidth` of `ref`'s element (0 until it is laid out). */
export function useElementWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}
