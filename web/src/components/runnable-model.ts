// Pure helpers behind the runnable chart: the SQL's sparse per-bucket rows
// (sql/web/runnable_series.sql) turned into one value per pixel column.

import type { Cell } from "../protocol";

/** Runnable goroutines per bucket: highest, lowest and last count. */
export interface Series {
  peak: Float64Array;
  low: Float64Array;
  last: Float64Array;
  /** The highest peak (0 when empty). */
  max: number;
}

/** How the runnable query divides a bucket: `steps` samples of `stepNs`
 * each, so that bucket = steps × stepNs exactly (the SQL maps a step to its
 * bucket by integer division). */
export function sampling(bucketNs: number): { steps: number; stepNs: number; bucketNs: number } {
  const steps = bucketNs >= 8 ? 8 : 1;
  const stepNs = Math.max(1, Math.floor(bucketNs / steps));
  return { steps, stepNs, bucketNs: stepNs * steps };
}

/**
 * Expands rows (bucket, peak, low, last; bucket -1 = the count at the
 * range's start) into `n` buckets. A bucket without rows had no transitions,
 * so it holds the previous bucket's last count throughout; a bucket with
 * rows also held that count until its first transition, so it bounds its
 * peak and low.
 */
export function fillSeries(columns: string[], rows: Cell[][], n: number): Series {
  const col = (name: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`query result lacks column ${name}`);
    return i;
  };
  const [ib, ip, il, ila] = ["bucket", "peak", "low", "last"].map(col);
  const peak = new Float64Array(n);
  const low = new Float64Array(n);
  const last = new Float64Array(n);
  const byBucket = new Map<number, Cell[]>();
  let carry = 0;
  for (const r of rows) {
    const b = Number(r[ib]);
    if (b < 0) carry = Number(r[ila]);
    else byBucket.set(b, r);
  }
  let max = 0;
  for (let b = 0; b < n; b++) {
    const r = byBucket.get(b);
    if (r) {
      peak[b] = Math.max(carry, Number(r[ip]));
      low[b] = Math.min(carry, Number(r[il]));
      carry = Number(r[ila]);
    } else {
      peak[b] = low[b] = carry;
    }
    last[b] = carry;
    if (peak[b] > max) max = peak[b];
  }
  return { peak, low, last, max };
}

/** A round axis maximum at or above `v` (1, 2, 5 × 10^k; at least 1). */
export function niceMax(v: number): number {
  if (!(v > 1)) return 1;
  const mag = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * mag >= v) return m * mag;
  return 10 * mag;
}
