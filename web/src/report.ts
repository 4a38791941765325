// The report's JSON, as `schedstat --json` prints it and the page gets it
// from the same Rust code (crates/report/src/lib.rs `Report`). Nanosecond
// times are numbers: exact up to 2^53 ns (104 days of trace clock).

export type Funcs = string[] | null;

export interface Latency { count: number; min_ns: number; avg_ns: number; p50_ns: number; p90_ns: number; p99_ns: number; max_ns: number }
export interface LatencySpike { index: number; window: number; start_ms: number; p99_ns: number; max_ns: number; events: number }
export interface RunnableSpike { index: number; window: number; start_ms: number; peak: number }
export interface HeavyUnblocker { g: number; count: number; funcs: Funcs; tied_stacks: number }
export interface BurstBreakdown {
  categories: [string, number][];
  created_by: [number, Funcs][];
  unblocked_by: [number, string][];
  blocked_at: [number, string[]][];
  heavy_unblockers: HeavyUnblocker[];
}
export interface WorstInWindow {
  g: number; duration_ns: number; wait_start_ns: number; p: number | null;
  longest_run: [number, number, string[]] | null; queue_goroutines: number; queue_runs: number;
}
export interface SpikeDetail {
  index: number; kind: "latency" | "runnable"; start_ms: number; value: number;
  worst: WorstInWindow | null; burst_goroutines: number; breakdown: BurstBreakdown | null;
  busiest_ms: number | null; busiest_tied_ms: number[];
}
export interface WindowStats { window: number; start_ms: number; end_ms: number; events: number; p99_ns: number; max_ns: number; spike: boolean }
export interface WindowContext {
  window: number; start_ms: number; avg_runnable: number; avg_idle_procs: number; gc_share: number;
  stw_ns: number; heap_max_bytes: number | null; idle_while_waiting: boolean;
}
export interface CreatorGroup { creator_funcs: Funcs; events: number; goroutines: number; total_ns: number; max_ns: number; p99_ns: number; label: string }
export interface GcReport {
  transitions: { from_state: string; to_state: string; reason: string | null; transitions: number; total_ns: number; max_ns: number }[];
  ranges: { name: string; count: number; total_ns: number; max_ns: number | null }[];
  stw_pauses: { reason: string; start_ns: number; duration_ns: number }[];
}
export interface Burst { start_ms: number; goroutines: number; distinct_creators: number }
export interface Launcher { funcs: Funcs; goroutines: number; total_ns: number; max_ns: number }
export interface Delay {
  g: number; duration_ns: number; start_ns: number; end_ns: number; p: number | null; cause: string;
  made_runnable_by_g: number | null; made_runnable_by_funcs: Funcs; creator_funcs: Funcs; last_funcs: Funcs; start_funcs: Funcs; label: string;
}
export interface Waiter { g: number; schedulings: number; total_ns: number; max_ns: number; funcs: Funcs; name: string | null; label: string }
export interface ProcUse { p: number; g: number; name: string | null; runs: number; overlap_ns: number; syscall_ns: number; funcs: Funcs; label: string }
export interface Why {
  delay: Delay; verdict: string; holder: ProcUse | null;
  runnable_at_start: [string, number, Funcs][]; runnable_total: number; procs: ProcUse[];
}

/** The options the report was made with (`schedstat_report::Options`). */
export interface ReportOptions {
  window_ns: number;
  spike_threshold_ns: number;
  runnable_threshold: number;
  top: number;
  timeseries: boolean;
  by_creator: boolean;
  gc: boolean;
  bursts: boolean;
  worst: number;
  top_waiters: boolean;
  why: number;
}

/** The whole report. */
export interface Report {
  options: ReportOptions;
  trace_duration_ns: number;
  t0_ns: number;
  procs: number;
  runnable_threshold: number;
  latency: Latency;
  latency_spikes: LatencySpike[];
  latency_spikes_total: number;
  latency_spikes_tied_beyond: number;
  runnable_spikes: RunnableSpike[];
  runnable_spikes_total: number;
  runnable_spikes_tied_beyond: number;
  spike_details: SpikeDetail[];
  runnable_series: [number, number][];
  timeseries: WindowStats[] | null;
  window_context: WindowContext[] | null;
  by_creator: CreatorGroup[] | null;
  gc: GcReport | null;
  bursts: Burst[] | null;
  launchers: Launcher[] | null;
  worst: Delay[] | null;
  top_waiters: Waiter[] | null;
  why: Why[] | null;
}
