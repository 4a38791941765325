// The shape of `schedstat doctor --json` (crates/report/src/doctor.rs's
// Diagnosis and Finding, serialized by serde), as the page receives it from
// the wasm `doctor`. Times are absolute trace nanoseconds, like the report's.

/** How bad a finding is. */
export type Severity = "info" | "warning" | "critical";

/** A stack quoted as evidence (functions leaf first). */
export interface StackEvidence {
  role: string;
  funcs: string[];
  count: number;
  total_ns: number | null;
}

/** A stretch of the trace where the finding shows. */
export interface TimeRange {
  start_ns: number;
  end_ns: number;
  what: string;
}

/** One named pattern found in the trace. */
export interface Finding {
  id: string;
  severity: Severity;
  title: string;
  verdict: string;
  metrics: Record<string, number>;
  evidence: string[];
  stacks: StackEvidence[];
  ranges: TimeRange[];
  advice: string[];
}

/** What one check concluded. */
export interface Check {
  id: string;
  status: "found" | "clear" | "skipped";
  note: string;
}

/** The doctor's answer for the loaded trace. */
export interface Diagnosis {
  start_ns: number;
  end_ns: number;
  duration_ns: number;
  procs: number;
  findings: Finding[];
  checks: Check[];
  thresholds: Record<string, number>;
}

/** Which tab shows a finding best when it has no time range: stack-based
 * waits in the flame graph, scheduling patterns in the spikes. */
export function viewFor(f: Finding): "timeline" | "flame" | "spikes" | "gc" {
  if (f.ranges.length > 0) return "timeline";
  if (f.id === "gc-pressure") return "gc";
  if (f.stacks.length > 0) return "flame";
  return "spikes";
}
