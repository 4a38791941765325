// Query results out of DuckDB-WASM's Arrow tables, in the two shapes the page
// needs: JSON text for the Rust report (integers as bare digits, so 64-bit
// values cross exactly) and plain cells for the page's own tables and charts.
// Works on any apache-arrow copy's Table: it reads type ids, not classes.

import { Type } from "apache-arrow";

import type { Cell, QueryResult } from "./protocol";

/** The parts of an Arrow DataType the conversions read. */
interface ArrowType {
  typeId: number;
  scale?: number;
  children?: { type: ArrowType }[];
  dictionary?: ArrowType;
}

/** The parts of an Arrow Table the conversions read. */
export interface ArrowTable {
  numRows: number;
  schema: { fields: { name: string; type: ArrowType }[] };
  getChildAt(i: number): { get(row: number): unknown } | null;
}

/** A DECIMAL's value as exact integer digits scaled: arrow hands 128-bit
 * decimals over as four little-endian 32-bit words. */
function decimalText(v: unknown, scale: number): string {
  let big: bigint;
  if (typeof v === "bigint") big = v;
  else if (typeof v === "number") return String(v);
  else if (v instanceof Uint32Array || Array.isArray(v)) {
    const w = Array.from(v as ArrayLike<number>);
    big = 0n;
    for (let i = w.length - 1; i >= 0; i--) big = (big << 32n) | BigInt(w[i] >>> 0);
    const bits = BigInt(32 * w.length);
    if (w.length > 0 && (w[w.length - 1] & 0x80000000) !== 0) big -= 1n << bits;
  } else return String(v);
  if (scale === 0) return big.toString();
  const neg = big < 0n;
  const digits = (neg ? -big : big).toString().padStart(scale + 1, "0");
  return `${neg ? "-" : ""}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

function isList(t: ArrowType): boolean {
  return t.typeId === Type.List || t.typeId === Type.FixedSizeList;
}

function items(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  const it = v as { toArray?: () => ArrayLike<unknown>; [Symbol.iterator]?: () => Iterator<unknown> };
  if (typeof it[Symbol.iterator] === "function") return Array.from(v as Iterable<unknown>);
  return Array.from(it.toArray!());
}

/** One value as JSON text. */
export function jsonValue(v: unknown, t: ArrowType): string {
  if (v === null || v === undefined) return "null";
  if (t.typeId === Type.Decimal) return decimalText(v, t.scale ?? 0);
  if (isList(t)) {
    const et = t.children![0].type;
    return `[${items(v).map((x) => jsonValue(x, et)).join(",")}]`;
  }
  switch (typeof v) {
    case "bigint":
      return v.toString();
    case "number":
      return Number.isFinite(v) ? String(v) : "null";
    case "boolean":
      return v ? "true" : "false";
    case "string":
      return JSON.stringify(v);
    default:
      return JSON.stringify(String((v as { toString(): string }).toString()));
  }
}

/** One value as a page cell. */
export function cellValue(v: unknown, t: ArrowType): Cell {
  if (v === null || v === undefined) return null;
  if (t.typeId === Type.Decimal) {
    const s = decimalText(v, t.scale ?? 0);
    return (t.scale ?? 0) === 0 ? BigInt(s) : Number(s);
  }
  if (isList(t)) {
    const et = t.children![0].type;
    return items(v).map((x) => cellValue(x, et));
  }
  switch (typeof v) {
    case "bigint":
    case "number":
    case "boolean":
    case "string":
      return v;
    default:
      return String((v as { toString(): string }).toString());
  }
}

/** `{"columns": [...], "rows": [[...], ...]}` as `crates/wasm/src/report.rs` reads it. */
export function toJsonText(t: ArrowTable): string {
  const fields = t.schema.fields;
  const cols = fields.map((_, i) => t.getChildAt(i)!);
  const rows: string[] = [];
  for (let r = 0; r < t.numRows; r++) {
    rows.push(`[${fields.map((f, i) => jsonValue(cols[i].get(r), f.type)).join(",")}]`);
  }
  return `{"columns":${JSON.stringify(fields.map((f) => f.name))},"rows":[${rows.join(",")}]}`;
}

/** At most `maxRows` rows as page cells. */
export function toResult(t: ArrowTable, maxRows: number): QueryResult {
  const fields = t.schema.fields;
  const cols = fields.map((_, i) => t.getChildAt(i)!);
  const n = Math.min(t.numRows, maxRows);
  const rows: Cell[][] = [];
  for (let r = 0; r < n; r++) rows.push(fields.map((f, i) => cellValue(cols[i].get(r), f.type)));
  return {
    columns: fields.map((f) => f.name),
    types: fields.map((f) => String(f.type)),
    rows,
    truncated: t.numRows > maxRows,
  };
}
