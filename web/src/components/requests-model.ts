// The geometry and colours of the Requests tab's picture (etviz's, after
// Richard L. Sites): one band per request, drawn twice — offset by start
// time, then all aligned at zero — and, in detail mode, one band per span of
// each request's tree. Plain functions, so the canvas component only paints
// and the hit-testing is testable without a browser.

import type { Band, RequestPicture } from "../toolbox";

/** Height of a band and the gaps (CSS px). */
export const BAR = 8;
export const REQUEST_GAP = 2;
export const SECTION_HEADER = 22;
export const SECTION_GAP = 16;

/** etviz's fill for a wait reason (crates/export/src/etviz.rs `wait_fill`). */
export function waitFill(reason: string): string {
  switch (reason) {
    case "net":
      return "yellow";
    case "cpu":
      return "silver";
    case "gc":
      return "lawngreen";
    case "block":
    case "cond":
    case "sync":
    case "recv":
    case "select":
    case "send":
      return "violet";
    case "syscall":
      return "darkgreen";
    default:
      return "magenta";
  }
}

/** etviz's fill for a GC-assist reason. */
export const assistFill = (reason: string) => (reason === "gc" ? "chartreuse" : "magenta");

/** The legend: what each colour means. */
export const LEGEND: [string, string][] = [
  ["black", "running"],
  ["silver", "waiting to run"],
  ["chartreuse", "GC assist"],
  ["lawngreen", "waiting for GC"],
  ["yellow", "network"],
  ["darkgreen", "syscall"],
  ["violet", "channel / select / sync"],
  ["magenta", "other / unknown"],
];

/** One band's row in the picture. */
export interface Row {
  band: Band;
  /** Index of its request (by start time). */
  request: number;
  /** Top of the band in the offset section; the aligned one adds `alignedTop - offsetTop`. */
  y: number;
  /** The aligned section's zero: the request's start (its root span's in detail mode). */
  rootStart: number;
}

/** The picture's rows and sections. */
export interface Picture {
  rows: Row[];
  offsetTop: number;
  alignedTop: number;
  height: number;
  /** The offset section's time span: from the first start to the last end (ns). */
  minStart: number;
  offsetSpanNs: number;
  /** The aligned section's span: the longest band (ns). */
  alignedSpanNs: number;
}

/** Lays out the bands (`details`: one per span, else one per request). */
export function layoutPicture(p: RequestPicture, details: boolean): Picture {
  const rows: Row[] = [];
  let y = 0;
  p.requests.forEach((r, i) => {
    const bands = details ? r.spans : [r.flat];
    for (const band of bands) {
      rows.push({ band, request: i, y, rootStart: details ? r.spans[0].start_ns : r.flat.start_ns });
      y += BAR;
    }
    y += details ? REQUEST_GAP : 0;
  });
  const section = y;
  let minStart = Infinity;
  let maxEnd = -Infinity;
  let maxLen = 0;
  for (const row of rows) {
    minStart = Math.min(minStart, row.band.start_ns);
    maxEnd = Math.max(maxEnd, row.band.start_ns + row.band.length_ns);
    maxLen = Math.max(maxLen, row.band.length_ns);
  }
  const offsetTop = SECTION_HEADER;
  const alignedTop = offsetTop + section + SECTION_GAP + SECTION_HEADER;
  for (const row of rows) row.y += offsetTop;
  return {
    rows,
    offsetTop,
    alignedTop,
    height: alignedTop + section + 4,
    minStart: rows.length ? minStart : 0,
    // A zero-wide picture would divide by zero: 1 ns at least, as etviz's port does.
    offsetSpanNs: rows.length ? Math.max(1, maxEnd - minStart) : 1,
    alignedSpanNs: Math.max(1, maxLen),
  };
}

/** A coloured piece of a band: [from, to) in ns after the band's start. */
export interface Piece {
  from: number;
  to: number;
  fill: string;
  /** "running", "waiting: net", "assisting: gc", or "span" (the band itself). */
  what: string;
}

/** A band's pieces in etviz's drawing order (later ones on top): the span,
 * running, GC assists, then waits. */
export function pieces(b: Band): Piece[] {
  const out: Piece[] = [{ from: 0, to: b.length_ns, fill: "magenta", what: "span" }];
  for (const [from, to] of b.running) out.push({ from, to, fill: "black", what: "running" });
  for (const [reason, rs] of Object.entries(b.assisting)) for (const [from, to] of rs) out.push({ from, to, fill: assistFill(reason), what: `assisting: ${reason}` });
  for (const [reason, rs] of Object.entries(b.waiting)) for (const [from, to] of rs) out.push({ from, to, fill: waitFill(reason), what: `waiting: ${reason}` });
  return out;
}

/** What is under a point of the picture (CSS px, the plot `width` wide):
 * the row, the section, and the piece drawn on top at that moment. */
export function hit(pic: Picture, width: number, x: number, y: number): { row: Row; aligned: boolean; piece: Piece; atNs: number } | null {
  const aligned = y >= pic.alignedTop;
  const top = aligned ? pic.alignedTop : pic.offsetTop;
  const shift = top - pic.offsetTop;
  const row = pic.rows.find((r) => y >= r.y + shift && y < r.y + shift + BAR);
  if (!row) return null;
  const span = aligned ? pic.alignedSpanNs : pic.offsetSpanNs;
  const zero = aligned ? row.rootStart : pic.minStart;
  const start = row.band.start_ns - zero;
  const atNs = (x / width) * span - start;
  // The band is drawn at least 1 px wide: accept its first pixel.
  const onePx = span / width;
  if (atNs < -onePx || atNs > Math.max(row.band.length_ns, onePx)) return null;
  const ps = pieces(row.band);
  let piece = ps[0];
  for (const p of ps) if (atNs >= p.from && atNs < p.to) piece = p;
  return { row, aligned, piece, atNs };
}
