// A value a view asks the worker for once per session: kept until the session
// changes, with the error text if the request failed, and a late answer for a
// session the view no longer shows dropped.

import { useEffect, useState } from "react";

/** The result of `load()`, rerun when `key` changes: `data` once it came, or `error`. */
export function useLoaded<T>(load: () => Promise<T>, key: unknown): { data: T | null; error: string | null } {
  const [state, setState] = useState<{ data: T | null; error: string | null }>({ data: null, error: null });
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ data, error: null }),
      (e) => live && setState({ data: null, error: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      live = false;
    };
    // `load` is a fresh closure on every render; `key` says when it asks for something else.
  }, [key]);
  return state;
}
