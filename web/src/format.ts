// Numbers as the CLI's text report writes them, so the page and the terminal
// read alike (crates/cli/src/render/text.rs `dur`).

/** A duration in ns: 640ns, 366.8µs, 20.22ms, 2.50s. */
export function dur(ns: number): string {
  if (!Number.isFinite(ns)) return "—";
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)}ns`;
  if (a < 1e6) return `${(ns / 1e3).toFixed(1)}µs`;
  if (a < 1e9) return `${(ns / 1e6).toFixed(2)}ms`;
  return `${(ns / 1e9).toFixed(2)}s`;
}

/** An integer with thousands separators. */
export function count(n: number | bigint): string {
  return Number(n).toLocaleString("en-US");
}

/** A stack's function list, innermost first, shortened to its first frames
 * outside the runtime where there are any. */
export function funcs(f: string[] | null | undefined, max = 3): string {
  if (!f || f.length === 0) return "(no stack)";
  const user = f.filter((x) => !x.startsWith("runtime.") && !x.startsWith("internal/"));
  const shown = (user.length > 0 ? user : f).slice(0, max);
  return shown.join(" ← ") + (f.length > shown.length ? " ← …" : "");
}

/** Bytes as KiB/MiB. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
