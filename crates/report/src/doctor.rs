//! `schedstat doctor`: names the pattern that makes goroutines wait, with its
//! evidence, where in the trace it shows, and what to try next.
//!
//! Findings are data ([`Finding`], serde): the CLI renders them as text or
//! JSON, and the web page can run the same code. The evidence comes from two
//! roads, as everywhere in schedstat:
//!
//! - SQL over the trace's database: the `.sql` files in `sql/doctor/` (run
//!   through [`Sql`], like the report), plus the report itself ([`crate::build`]
//!   with `--why=20 --bursts`), so `p-hog` and `launch-burst` quote exactly what
//!   `schedstat --why` and `--bursts` print;
//! - figures that must equal `go tool trace`'s, computed from the events by
//!   `crates/analysis` (leaks, the sync and syscall profiles, GC, goroutine
//!   summaries) and handed in as [`EventEvidence`] (plain data, so this crate
//!   does not depend on the reader).
//!
//! Each pattern has a stable id ([`PATTERNS`], in priority order), thresholds
//! with documented defaults ([`THRESHOLDS`], settable with
//! `--threshold id=value`), and a severity: `critical`, `warning` or `info`.
//! Findings are sorted by severity, then by the pattern's priority (causes
//! before symptoms: a goroutine hogging a P or a launch burst explains the
//! saturation they cause), then by size.

use std::collections::BTreeMap;

use schedstat_query::{QueryResult, Sql};
use serde::{Deserialize, Serialize};

use crate::{col, float, int, list, opt_int, text, Options, Report, ReportError, Result};

/// The doctor's SQL, compiled in from `sql/doctor/`.
pub mod sql {
    /// `sql/doctor/sched_pressure.sql`: run-queue saturation and idle procs while goroutines waited.
    pub const SCHED_PRESSURE: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/doctor/sched_pressure.sql"));
    /// `sql/doctor/sync_unblockers.sql`: blocking stacks and the stacks that woke them.
    pub const SYNC_UNBLOCKERS: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/doctor/sync_unblockers.sql"));
    /// `sql/doctor/gc_assists.sql`: mark assists by the stack that began them.
    pub const GC_ASSISTS: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/doctor/gc_assists.sql"));
    /// `sql/doctor/syscall_time.sql`: syscall time old-format traces fold into running time.
    pub const SYSCALL_TIME: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/doctor/syscall_time.sql"));
    /// `sql/doctor/channel_waits.sql`: completed channel waits by blocking stack, with the other side's business.
    pub const CHANNEL_WAITS: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/doctor/channel_waits.sql"));
    /// `sql/doctor/wait_windows.sql`: lock and channel waits per stack and window of the trace (time ranges).
    pub const WAIT_WINDOWS: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/doctor/wait_windows.sql"));
    /// `sql/doctor/run_slices.sql`: run slices that end in a handoff, per goroutine group.
    pub const RUN_SLICES: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/doctor/run_slices.sql"));
    /// `sql/doctor/idle_waiters.sql`: goroutine groups that waited runnable while a P was idle.
    pub const IDLE_WAITERS: &str = include_str!(concat!(env!("OUT_DIR"), "/sql/doctor/idle_waiters.sql"));
    /// Every doctor file by name.
    pub const ALL: &[(&str, &str)] = &[
        ("syscall_time.sql", SYSCALL_TIME),
        ("channel_waits.sql", CHANNEL_WAITS),
        ("wait_windows.sql", WAIT_WINDOWS),
        ("run_slices.sql", RUN_SLICES),
        ("idle_waiters.sql", IDLE_WAITERS),
        ("sched_pressure.sql", SCHED_PRESSURE),
        ("sync_unblockers.sql", SYNC_UNBLOCKERS),
        ("gc_assists.sql", GC_ASSISTS),
    ];
}

/// How bad a finding is. Ordered: `Info < Warning < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, nothing to fix necessarily.
    Info,
    /// Costs the program noticeably.
    Warning,
    /// The main problem of the trace.
    Critical,
}

impl Severity {
    /// `info`, `warning`, `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A pattern the doctor knows.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Pattern {
    /// Stable id (`goroutine-leak`, ...).
    pub id: &'static str,
    /// Short title.
    pub title: &'static str,
    /// What is checked, in one sentence.
    pub checks: &'static str,
}

/// The patterns, in priority order (ties in severity go to the earlier one).
pub const PATTERNS: &[Pattern] = &[
    Pattern {
        id: "deadlock",
        title: "Deadlock",
        checks: "every application goroutine alive at the end is blocked (not on network, sleep or a syscall), the last of them for at least deadlock.min_quiet; or at least deadlock.min_lock_goroutines blocked on mutexes for that long while no more than one goroutine (the one stopping the trace) can run",
    },
    Pattern {
        id: "goroutine-leak",
        title: "Goroutine leak",
        checks: "goroutines blocked at the end on one stack that began waiting during the trace and never woke (the group grew), at least goroutine-leak.min_goroutines of them",
    },
    Pattern {
        id: "p-hog",
        title: "One goroutine hogs a P",
        checks: "among the 20 worst scheduling delays (as --why=20), the share where one goroutine held the P (running, not in syscalls) for at least p-hog.min_hold",
    },
    Pattern {
        id: "launch-burst",
        title: "Launch burst (goroutine storm)",
        checks: "one creating stack launched at least launch-burst.min_goroutines goroutines that then waited over 1ms to run (as --bursts)",
    },
    Pattern {
        id: "lock-contention",
        title: "Lock contention",
        checks: "time blocked in sync.Mutex/RWMutex locks per trace time (average goroutines waiting) on the top lock stack of the sync profile (as pprof sync)",
    },
    Pattern {
        id: "channel-bottleneck",
        title: "Channel bottleneck",
        checks: "many goroutines (channel-bottleneck.min_goroutines) wait on one channel operation of the application, long (channel-bottleneck.min_mean_wait) and often (channel-bottleneck.min_waiting on average), while the goroutines on the other side are busy (channel-bottleneck.min_other_busy)",
    },
    Pattern {
        id: "gc-pressure",
        title: "GC pressure",
        checks: "share of the trace in GC mark phases, mark-assist share of CPU, stop-the-world share (as schedstat gc)",
    },
    Pattern {
        id: "context-switching",
        title: "Excessive context switching",
        checks: "application goroutines hand off to each other (block on a channel, select, mutex or sync.Cond) after running for microseconds: median run slice at most context-switching.max_median_slice, at least context-switching.min_rate_per_p handoffs per second per P",
    },
    Pattern {
        id: "cpu-saturation",
        title: "CPU saturation",
        checks: "share of the trace with every P busy and at least as many goroutines runnable as Ps, and how many waited per P",
    },
    Pattern {
        id: "syscall-bound",
        title: "Syscall-bound",
        checks: "application goroutines' time in syscalls against their execution time (as schedstat goroutines), with the top syscall stacks (as pprof syscall)",
    },
    Pattern {
        id: "idle-ps",
        title: "Idle Ps while goroutines wait",
        checks: "share of the trace with a P idle while a goroutine was runnable",
    },
];

/// One settable threshold.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ThresholdSpec {
    /// `pattern.name`.
    pub id: &'static str,
    /// Default value (durations in ns, shares as fractions).
    pub default: f64,
    /// `ratio` (0.2 or 20%), `count`, or `duration` (Go syntax or ns).
    pub unit: &'static str,
    /// What it means.
    pub help: &'static str,
}

/// Every threshold with its default. `--threshold ID=VALUE` sets one; `ID`
/// alone may be a pattern id, meaning its first threshold here.
pub const THRESHOLDS: &[ThresholdSpec] = &[
    ThresholdSpec { id: "deadlock.min_quiet", default: 10e6, unit: "duration", help: "the most recent of the blocked goroutines blocked at least this long before the end" },
    ThresholdSpec { id: "deadlock.min_lock_goroutines", default: 2.0, unit: "count", help: "goroutines blocked on mutexes at the end (for min_quiet) that make a deadlock when at most one other goroutine can run (the one stopping the trace)" },
    ThresholdSpec { id: "goroutine-leak.min_goroutines", default: 10.0, unit: "count", help: "goroutines of one blocked group that began waiting during the trace (warning)" },
    ThresholdSpec { id: "goroutine-leak.critical_goroutines", default: 1000.0, unit: "count", help: "the same, for critical" },
    ThresholdSpec { id: "goroutine-leak.min_wait_share", default: 0.1, unit: "ratio", help: "their median wait as a share of the trace: shorter waits are churn, not a leak" },
    ThresholdSpec { id: "p-hog.min_share", default: 0.5, unit: "ratio", help: "share of the 20 worst delays one goroutine caused by holding the P" },
    ThresholdSpec { id: "p-hog.min_hold", default: 5e6, unit: "duration", help: "a hold counts when the holder kept the P at least this long during the wait" },
    ThresholdSpec { id: "launch-burst.min_goroutines", default: 100.0, unit: "count", help: "delayed goroutines (waited over 1ms) launched by one stack (warning)" },
    ThresholdSpec { id: "launch-burst.critical_goroutines", default: 1000.0, unit: "count", help: "the same, for critical" },
    ThresholdSpec { id: "lock-contention.min_waiting", default: 0.2, unit: "ratio", help: "average goroutines blocked on the top lock stack (blocked time / trace time; warning)" },
    ThresholdSpec { id: "lock-contention.critical_waiting_per_p", default: 1.0, unit: "ratio", help: "the same per P, for critical (the lock serializes the program)" },
    ThresholdSpec { id: "channel-bottleneck.min_goroutines", default: 4.0, unit: "count", help: "distinct goroutines that waited on the one channel operation" },
    ThresholdSpec { id: "channel-bottleneck.min_waiting", default: 1.0, unit: "ratio", help: "average goroutines waiting on it (its completed waits / trace time)" },
    ThresholdSpec { id: "channel-bottleneck.min_mean_wait", default: 50e3, unit: "duration", help: "its mean wait: shorter waits are handoffs (see context-switching), not a queue" },
    ThresholdSpec { id: "channel-bottleneck.min_other_busy", default: 0.5, unit: "ratio", help: "share of the trace the goroutines that woke the waiters (the other side) spent running: an idle other side means no work, not a bottleneck" },
    ThresholdSpec { id: "channel-bottleneck.critical_waiting_per_p", default: 1.0, unit: "ratio", help: "average goroutines waiting on it per P, for critical" },
    ThresholdSpec { id: "gc-pressure.mark_share", default: 0.25, unit: "ratio", help: "share of the trace in GC concurrent mark phases" },
    ThresholdSpec { id: "gc-pressure.assist_share", default: 0.05, unit: "ratio", help: "mark assists as a share of all Ps' time" },
    ThresholdSpec { id: "gc-pressure.stw_share", default: 0.02, unit: "ratio", help: "stop-the-world time as a share of the trace" },
    ThresholdSpec { id: "gc-pressure.min_cycles", default: 3.0, unit: "count", help: "GC cycles needed before shares count (one cycle in a short trace is no pressure)" },
    ThresholdSpec { id: "gc-pressure.critical_assist_share", default: 0.25, unit: "ratio", help: "mark assist share for critical" },
    ThresholdSpec { id: "context-switching.max_median_slice", default: 10e3, unit: "duration", help: "median run slice of application goroutines before they hand off (block on a channel, select, mutex, sync.Cond)" },
    ThresholdSpec { id: "context-switching.min_rate_per_p", default: 100e3, unit: "ratio", help: "such handoffs per second of trace per P (100000: one every 10µs on every P)" },
    ThresholdSpec { id: "cpu-saturation.min_share", default: 0.5, unit: "ratio", help: "share of the trace saturated (every P busy, at least as many runnable as Ps)" },
    ThresholdSpec { id: "cpu-saturation.queue_per_p", default: 4.0, unit: "ratio", help: "runnable goroutines per P while saturated for warning (below: info, a CPU-bound program)" },
    ThresholdSpec { id: "syscall-bound.min_share", default: 0.5, unit: "ratio", help: "application syscall time / (execution + syscall time)" },
    ThresholdSpec { id: "syscall-bound.min_busy_share", default: 0.1, unit: "ratio", help: "syscall time as a share of all Ps' time: below it syscalls cost too little to matter" },
    ThresholdSpec { id: "idle-ps.min_share", default: 0.25, unit: "ratio", help: "share of the trace with a P idle while a goroutine was runnable" },
    ThresholdSpec { id: "idle-ps.min_stretch", default: 1e6, unit: "duration", help: "the longest such stretch must be at least this long" },
];

/// Threshold values in effect.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Thresholds(pub BTreeMap<String, f64>);

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds(THRESHOLDS.iter().map(|t| (t.id.to_string(), t.default)).collect())
    }
}

impl Thresholds {
    /// A threshold's value (its default when unknown to the map).
    pub fn get(&self, id: &str) -> f64 {
        self.0.get(id).copied().or_else(|| THRESHOLDS.iter().find(|t| t.id == id).map(|t| t.default)).unwrap_or(0.0)
    }

    /// Applies one `ID=VALUE` assignment. The error is one line naming the bad part.
    pub fn set(&mut self, assignment: &str) -> std::result::Result<(), String> {
        let Some((id, value)) = assignment.split_once('=') else {
            return Err(format!("--threshold '{assignment}': expected ID=VALUE, e.g. lock-contention.min_waiting=0.5"));
        };
        let (id, value) = (id.trim(), value.trim());
        let spec = THRESHOLDS
            .iter()
            .find(|t| t.id == id)
            .or_else(|| THRESHOLDS.iter().find(|t| t.id.split_once('.').is_some_and(|(p, _)| p == id)))
            .ok_or_else(|| {
                format!("--threshold '{assignment}': unknown threshold '{id}' (`schedstat doctor --help` lists them)")
            })?;
        let v = parse_value(value, spec.unit)
            .ok_or_else(|| format!("--threshold '{assignment}': bad value '{value}' for {} (a {})", spec.id, unit_hint(spec.unit)))?;
        self.0.insert(spec.id.to_string(), v);
        Ok(())
    }
}

fn unit_hint(unit: &str) -> &'static str {
    match unit {
        "duration" => "duration such as 5ms",
        "count" => "whole number",
        _ => "non-negative number or percentage such as 0.2 or 20%",
    }
}

/// Parses a threshold value of a unit; `None` when it is malformed or negative.
fn parse_value(s: &str, unit: &str) -> Option<f64> {
    let v = match unit {
        "duration" => match s.parse::<f64>() {
            Ok(n) => n,
            Err(_) => go_duration_ns(s)?,
        },
        "count" => s.parse::<u64>().ok()? as f64,
        _ => match s.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
            None => s.parse::<f64>().ok()?,
        },
    };
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// Go duration syntax (`5ms`, `1.5s`, `250us`) in ns.
fn go_duration_ns(s: &str) -> Option<f64> {
    let mut rest = s;
    let mut total = 0.0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        if n == 0 {
            return None;
        }
        let v: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        total += v * match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            _ => return None,
        };
        rest = &rest[u..];
    }
    Some(total)
}

/// A stack quoted as evidence.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StackEvidence {
    /// What the stack is: `blocked at`, `unlocked at`, `launched by`, `held by`, ...
    pub role: String,
    /// Functions, leaf first (empty: none recorded).
    pub funcs: Vec<String>,
    /// How many goroutines or intervals it stands for.
    pub count: i64,
    /// Their total time, when it has one.
    pub total_ns: Option<i64>,
}

/// A stretch of the trace where the finding shows (absolute trace ns, like
/// every `_ns` time in the database).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimeRange {
    /// Start.
    pub start_ns: i64,
    /// End.
    pub end_ns: i64,
    /// What happens there.
    pub what: String,
}

/// One named pattern found in a trace.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    /// Pattern id ([`PATTERNS`]).
    pub id: String,
    /// How bad.
    pub severity: Severity,
    /// The pattern's title.
    pub title: String,
    /// One line in plain words.
    pub verdict: String,
    /// The figures behind it, by stable key (durations in ns, shares as fractions).
    pub metrics: BTreeMap<String, f64>,
    /// The evidence as sentences (numbers included), for people.
    pub evidence: Vec<String>,
    /// Stacks that show where.
    pub stacks: Vec<StackEvidence>,
    /// Where in the trace it shows.
    pub ranges: Vec<TimeRange>,
    /// What to try next.
    pub advice: Vec<String>,
}

/// What one check concluded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Check {
    /// Pattern id.
    pub id: String,
    /// `found` (a finding), `clear` (checked, nothing) or `skipped` (no data).
    pub status: String,
    /// One line: the figure compared with its threshold, or why it was skipped.
    pub note: String,
}

/// The doctor's answer for one trace.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Diagnosis {
    /// First event (absolute ns).
    pub start_ns: i64,
    /// Last event.
    pub end_ns: i64,
    /// Procs seen.
    pub procs: i64,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Every pattern checked, in [`PATTERNS`] order.
    pub checks: Vec<Check>,
    /// Threshold values used.
    pub thresholds: Thresholds,
}

impl Diagnosis {
    /// `schedstat doctor --json`'s document for one trace (`trace`: its path;
    /// the page has none): the diagnosis plus its duration. One place, so the
    /// CLI and the page print the same keys.
    pub fn document(&self, trace: Option<&str>) -> serde_json::Value {
        let mut doc = serde_json::json!({
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "duration_ns": self.end_ns - self.start_ns,
            "procs": self.procs,
            "findings": self.findings,
            "checks": self.checks,
            "thresholds": self.thresholds,
        });
        if let (Some(t), Some(map)) = (trace, doc.as_object_mut()) {
            map.insert("trace".into(), t.into());
        }
        doc
    }
}

/// A profile stack (pprof sync or syscall), as `crates/analysis` computes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ProfileStack {
    /// Functions, leaf first.
    pub funcs: Vec<String>,
    /// Intervals (pprof's contentions).
    pub count: u64,
    /// Their total (pprof's delay).
    pub delay_ns: i64,
}

/// Goroutines blocked at the end on one stack for one reason (`schedstat leaks`' group).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BlockedGroup {
    /// Wait reason (empty: blocked since before first seen).
    pub reason: String,
    /// Blocking stack, leaf first.
    pub funcs: Vec<String>,
    /// Most common start function.
    pub start_function: String,
    /// Goroutines in the group.
    pub count: usize,
    /// Of them, those whose wait began during the trace.
    pub began_in_trace: usize,
    /// Shortest, median, longest wait at the end.
    pub min_wait_ns: i64,
    /// Median wait.
    pub median_wait_ns: i64,
    /// Longest wait.
    pub max_wait_ns: i64,
    /// Earliest and latest start of a wait in the group.
    pub first_since_ns: i64,
    /// Latest start of a wait.
    pub last_since_ns: i64,
}

/// GC figures of `schedstat gc`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GcEvidence {
    /// Mark phases.
    pub mark_phases: usize,
    /// Their total.
    pub mark_ns: i64,
    /// The longest mark phase (start, duration).
    pub longest_mark: Option<(i64, i64)>,
    /// Stop-the-world pauses (all reasons).
    pub stw_count: usize,
    /// Their total.
    pub stw_ns: i64,
    /// The longest pause (start, duration).
    pub longest_stw: Option<(i64, i64)>,
    /// Mark assists per goroutine: (goroutine, start function, count, total ns), most first.
    pub assists: Vec<(i64, String, u64, i64)>,
}

/// Evidence computed from the events (exact, as `go tool trace` counts).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EventEvidence {
    /// First event.
    pub start_ns: i64,
    /// Last event.
    pub end_ns: i64,
    /// Application goroutines alive at the end.
    pub app_alive_at_end: usize,
    /// Of them, blocked.
    pub app_blocked_at_end: usize,
    /// Application goroutines alive at the start (first window's minimum) and at the end.
    pub alive_first_window: i64,
    /// Most application and runtime goroutines alive at once.
    pub alive_max: i64,
    /// Application groups blocked at the end, biggest first.
    pub blocked: Vec<BlockedGroup>,
    /// The sync profile (pprof sync), largest delay first.
    pub sync: Vec<ProfileStack>,
    /// The syscall profile (pprof syscall), largest delay first.
    pub syscall: Vec<ProfileStack>,
    /// GC.
    pub gc: GcEvidence,
    /// Application goroutines' execution time (goroutine summaries).
    pub app_exec_ns: i64,
    /// Their syscall time (execution in syscalls).
    pub app_syscall_ns: i64,
    /// Application goroutine groups by name, most execution time first (as `schedstat goroutines`).
    #[serde(default)]
    pub groups: Vec<GroupExec>,
}

impl EventEvidence {
    /// The evidence as JSON text, for moving it between processes or
    /// workers (the page parses in one worker and diagnoses in another).
    /// Plain functions rather than generic calls at the call site, so the
    /// page's wasm carries one copy of this code, built for size.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The evidence from [`EventEvidence::to_json`]'s text.
    ///
    /// Read by hand from a [`serde_json::Value`] rather than with the derived
    /// `Deserialize`: the page's wasm already parses JSON into values (query
    /// results), and the derived reader would add 8 KB to its size budget. A
    /// test holds it to the derived reader's answer.
    pub fn from_json(json: &str) -> std::result::Result<EventEvidence, String> {
        let v: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("doctor evidence: {e}"))?;
        evidence_from_value(&v).ok_or_else(|| "doctor evidence: not the JSON of EventEvidence".to_string())
    }
}

fn evidence_from_value(v: &serde_json::Value) -> Option<EventEvidence> {
    use serde_json::Value;
    let int = |v: &Value, k: &str| v.get(k)?.as_i64();
    let count = |v: &Value, k: &str| v.get(k)?.as_u64();
    let text = |v: &Value| v.as_str().map(str::to_string);
    fn list<'v>(v: &'v serde_json::Value, k: &str) -> Option<&'v Vec<serde_json::Value>> {
        v.get(k)?.as_array()
    }
    let funcs = |v: &Value| list(v, "funcs")?.iter().map(text).collect::<Option<Vec<_>>>();
    let span = |v: &Value, k: &str| -> Option<Option<(i64, i64)>> {
        match v.get(k)? {
            Value::Null => Some(None),
            p => Some(Some((p.get(0)?.as_i64()?, p.get(1)?.as_i64()?))),
        }
    };
    let profile = |k: &str| {
        list(v, k)?
            .iter()
            .map(|s| Some(ProfileStack { funcs: funcs(s)?, count: count(s, "count")?, delay_ns: int(s, "delay_ns")? }))
            .collect::<Option<Vec<_>>>()
    };
    let blocked = list(v, "blocked")?
        .iter()
        .map(|b| {
            Some(BlockedGroup {
                reason: text(b.get("reason")?)?,
                funcs: funcs(b)?,
                start_function: text(b.get("start_function")?)?,
                count: count(b, "count")? as usize,
                began_in_trace: count(b, "began_in_trace")? as usize,
                min_wait_ns: int(b, "min_wait_ns")?,
                median_wait_ns: int(b, "median_wait_ns")?,
                max_wait_ns: int(b, "max_wait_ns")?,
                first_since_ns: int(b, "first_since_ns")?,
                last_since_ns: int(b, "last_since_ns")?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let g = v.get("gc")?;
    let assists = list(g, "assists")?
        .iter()
        .map(|a| Some((a.get(0)?.as_i64()?, text(a.get(1)?)?, a.get(2)?.as_u64()?, a.get(3)?.as_i64()?)))
        .collect::<Option<Vec<_>>>()?;
    let gc = GcEvidence {
        mark_phases: count(g, "mark_phases")? as usize,
        mark_ns: int(g, "mark_ns")?,
        longest_mark: span(g, "longest_mark")?,
        stw_count: count(g, "stw_count")? as usize,
        stw_ns: int(g, "stw_ns")?,
        longest_stw: span(g, "longest_stw")?,
        assists,
    };
    // `groups` may be absent (evidence written before it existed).
    let groups = match v.get("groups") {
        None => Vec::new(),
        Some(_) => list(v, "groups")?
            .iter()
            .map(|x| {
                Some(GroupExec {
                    name: text(x.get("name")?)?,
                    count: count(x, "count")? as usize,
                    exec_ns: int(x, "exec_ns")?,
                    sched_wait_ns: int(x, "sched_wait_ns")?,
                })
            })
            .collect::<Option<Vec<_>>>()?,
    };
    Some(EventEvidence {
        start_ns: int(v, "start_ns")?,
        end_ns: int(v, "end_ns")?,
        app_alive_at_end: count(v, "app_alive_at_end")? as usize,
        app_blocked_at_end: count(v, "app_blocked_at_end")? as usize,
        alive_first_window: int(v, "alive_first_window")?,
        alive_max: int(v, "alive_max")?,
        blocked,
        sync: profile("sync")?,
        syscall: profile("syscall")?,
        gc,
        app_exec_ns: int(v, "app_exec_ns")?,
        app_syscall_ns: int(v, "app_syscall_ns")?,
        groups,
    })
}

/// One group of `schedstat goroutines` (goroutines by name), for naming who runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GroupExec {
    /// Group name: the goroutines' start function.
    pub name: String,
    /// Goroutines in it.
    pub count: usize,
    /// Their execution time (running, not in syscalls).
    pub exec_ns: i64,
    /// Their time waiting to run (runnable).
    pub sched_wait_ns: i64,
}

fn pattern(id: &str) -> &'static Pattern {
    PATTERNS.iter().find(|p| p.id == id).expect("known pattern")
}

fn priority(id: &str) -> usize {
    PATTERNS.iter().position(|p| p.id == id).unwrap_or(usize::MAX)
}

/// Durations for sentences: 3 significant digits, like the CLI's.
pub fn dur(ns: f64) -> String {
    let a = ns.abs();
    let (v, u) = if a >= 1e9 {
        (ns / 1e9, "s")
    } else if a >= 1e6 {
        (ns / 1e6, "ms")
    } else if a >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        return format!("{}ns", ns.round() as i64);
    };
    if v.abs() >= 100.0 {
        format!("{v:.1}{u}")
    } else {
        format!("{v:.2}{u}")
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The innermost application function of a stack (leaf first), short:
/// `contendedLock`; the leaf itself when no frame is the application's.
pub fn app_leaf(funcs: &[String]) -> String {
    let f = funcs.iter().find(|f| !is_runtime_or_std(f)).or(funcs.first());
    f.map(|f| {
        let last = f.rsplit('/').next().unwrap_or(f);
        match last.split_once('.') {
            Some((_, rest)) => rest.to_string(),
            None => last.to_string(),
        }
    })
    .unwrap_or_else(|| "(no stack)".into())
}

/// Standard-library packages without a slash that application paths skip.
fn is_std_pkg(p: &str) -> bool {
    matches!(p, "io" | "os" | "fmt" | "time" | "bufio" | "bytes" | "strings" | "strconv" | "sort" | "errors" | "context" | "reflect" | "math" | "unicode" | "log" | "flag")
}

fn is_mutex_leaf(funcs: &[String]) -> bool {
    funcs.iter().take(3).any(|f| {
        f.starts_with("sync.(*Mutex).Lock")
            || f.starts_with("sync.(*RWMutex).Lock")
            || f.starts_with("sync.(*RWMutex).RLock")
            || f.starts_with("sync.(*Mutex).lockSlow")
    })
}

fn metrics(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

struct Ctx<'a> {
    ev: &'a EventEvidence,
    th: &'a Thresholds,
    span: i64,
    procs: i64,
    findings: Vec<Finding>,
    checks: Vec<Check>,
}

impl Ctx<'_> {
    fn clear(&mut self, id: &str, note: String) {
        self.checks.push(Check { id: id.into(), status: "clear".into(), note });
    }
    fn skipped(&mut self, id: &str, note: String) {
        self.checks.push(Check { id: id.into(), status: "skipped".into(), note });
    }
    #[allow(clippy::too_many_arguments)]
    fn found(
        &mut self,
        id: &str,
        severity: Severity,
        verdict: String,
        note: String,
        m: BTreeMap<String, f64>,
        evidence: Vec<String>,
        stacks: Vec<StackEvidence>,
        ranges: Vec<TimeRange>,
        advice: &[&str],
    ) {
        self.checks.push(Check { id: id.into(), status: "found".into(), note });
        self.findings.push(Finding {
            id: id.into(),
            severity,
            title: pattern(id).title.into(),
            verdict,
            metrics: m,
            evidence,
            stacks,
            ranges,
            advice: advice.iter().map(|s| s.to_string()).collect(),
        });
    }
}

/// Runs every check on one trace's database and its event evidence.
pub fn diagnose(db: &dyn Sql, ev: &EventEvidence, th: &Thresholds) -> Result<Diagnosis> {
    let procs = int(&db.query("select count(*) from procs")?.rows[0][0]).max(1);
    let span = (ev.end_ns - ev.start_ns).max(1);
    let mut c = Ctx { ev, th, span, procs, findings: Vec::new(), checks: Vec::new() };

    // The report's --why=20 and --bursts: p-hog and launch-burst quote them.
    let report = match crate::build(db, &Options { why: 20, bursts: true, top: 5, ..Options::default() }) {
        Ok(r) => Some(r),
        Err(ReportError::NoSchedulingEvents) => None,
        Err(e) => return Err(e),
    };
    let pressure = db.query(&crate::sql::bind(sql::SCHED_PRESSURE, &[("procs", procs)]))?;
    let unblockers = db.query(sql::SYNC_UNBLOCKERS)?;
    let assists = db.query(sql::GC_ASSISTS)?;
    let syscalls = db.query(sql::SYSCALL_TIME)?;
    let chan_waits = db.query(sql::CHANNEL_WAITS)?;
    let windows = db.query(&crate::sql::bind(sql::WAIT_WINDOWS, &[("buckets", WINDOWS)]))?;
    let slices = db.query(&crate::sql::bind(sql::RUN_SLICES, &[("buckets", WINDOWS)]))?;

    deadlock(&mut c);
    goroutine_leak(&mut c);
    match &report {
        Some(r) => {
            p_hog(&mut c, r);
            launch_burst(&mut c, r);
        }
        None => {
            c.skipped("p-hog", "no scheduling delay in the trace".into());
            c.skipped("launch-burst", "no scheduling delay in the trace".into());
        }
    }
    lock_contention(&mut c, &unblockers, &windows);
    channel_bottleneck(&mut c, &chan_waits, &windows);
    gc_pressure(&mut c, &assists);
    context_switching(&mut c, &slices);
    let row = |kind: &str| pressure.rows.iter().find(|r| text(&r[col(&pressure, "kind")]).as_deref() == Some(kind));
    cpu_saturation(&mut c, &pressure, row("saturated"), report.as_ref());
    syscall_bound(&mut c, &syscalls);
    idle_ps(&mut c, db, &pressure, row("idle"))?;

    let mut findings = std::mem::take(&mut c.findings);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(priority(&a.id).cmp(&priority(&b.id)))
            .then_with(|| a.verdict.cmp(&b.verdict))
    });
    let mut checks = std::mem::take(&mut c.checks);
    checks.sort_by_key(|k| priority(&k.id));
    Ok(Diagnosis { start_ns: ev.start_ns, end_ns: ev.end_ns, procs, findings, checks, thresholds: th.clone() })
}

/// A blocked group's stack as evidence.
fn blocked_stack(g: &BlockedGroup) -> StackEvidence {
    let reason = if g.reason.is_empty() { "(unknown)" } else { &g.reason };
    StackEvidence { role: format!("blocked in {reason}"), funcs: g.funcs.clone(), count: g.count as i64, total_ns: None }
}

fn deadlock(c: &mut Ctx<'_>) {
    let ev = c.ev;
    let quiet = c.th.get("deadlock.min_quiet");
    let all_blocked = ev.app_alive_at_end > 0 && ev.app_blocked_at_end == ev.app_alive_at_end;
    // A trace is stopped by a running goroutine, so a deadlock of the rest of
    // the program leaves one goroutine able to run. Goroutines stuck on
    // mutexes for min_quiet with nothing else running are a lock cycle (an idle
    // pool waiting on a channel is not: nothing tells it from a quiet server).
    let locked: Vec<&BlockedGroup> =
        ev.blocked.iter().filter(|g| is_mutex_leaf(&g.funcs) && (ev.end_ns - g.last_since_ns) as f64 >= quiet).collect();
    let locked_n: usize = locked.iter().map(|g| g.count).sum();
    let others_running = ev.app_alive_at_end.saturating_sub(ev.app_blocked_at_end);
    if !all_blocked && others_running <= 1 && locked_n as f64 >= c.th.get("deadlock.min_lock_goroutines").max(1.0) {
        let last_block = locked.iter().map(|g| g.last_since_ns).max().unwrap_or(ev.end_ns);
        let mut stacks: Vec<StackEvidence> = locked.iter().take(5).map(|g| blocked_stack(g)).collect();
        stacks.extend(ev.blocked.iter().filter(|g| !is_mutex_leaf(&g.funcs)).take(2).map(blocked_stack));
        let leaves: Vec<String> = locked.iter().take(4).map(|g| app_leaf(&g.funcs)).collect();
        c.found(
            "deadlock",
            Severity::Critical,
            format!(
                "{locked_n} goroutines are stuck on mutexes at {} and nothing else runs: a lock deadlock",
                leaves.join(", ")
            ),
            format!("{locked_n} blocked on locks for >= {}, {others_running} other goroutine(s) able to run", dur(quiet)),
            metrics(&[
                ("app_alive_at_end", ev.app_alive_at_end as f64),
                ("app_blocked_at_end", ev.app_blocked_at_end as f64),
                ("lock_blocked", locked_n as f64),
                ("quiet_ns", (ev.end_ns - last_block) as f64),
            ]),
            vec![
                format!(
                    "{locked_n} goroutines in {} groups blocked on sync.Mutex/RWMutex locks at the end, none woke for {}",
                    locked.len(),
                    dur((ev.end_ns - last_block) as f64)
                ),
                format!(
                    "{} of {} application goroutines blocked at the end; the {others_running} not blocked is the one that stopped the trace",
                    ev.app_blocked_at_end, ev.app_alive_at_end
                ),
                format!("blocked at: {}", leaves.join(", ")),
            ],
            stacks,
            vec![TimeRange { start_ns: last_block, end_ns: ev.end_ns, what: "goroutines stuck on locks".into() }],
            &[
                "Look at the blocked stacks: two goroutines each holding the lock the other one wants",
                "Take locks in one fixed order everywhere; never call out (or block on a channel) while holding a lock",
                "Use sync.Mutex.TryLock only to diagnose; go test -race and a lock-order checker find the cycle",
            ],
        );
        return;
    }
    if !all_blocked {
        c.clear(
            "deadlock",
            format!("{} of {} application goroutines blocked at the end", ev.app_blocked_at_end, ev.app_alive_at_end),
        );
        return;
    }
    let external = |r: &str| r.contains("network") || r.contains("sleep") || r.contains("syscall") || r.contains("IO wait");
    let last_block = ev.blocked.iter().map(|g| g.last_since_ns).max().unwrap_or(ev.end_ns);
    let waiting_outside = ev.blocked.iter().any(|g| external(&g.reason));
    if waiting_outside || ((ev.end_ns - last_block) as f64) < quiet {
        c.clear(
            "deadlock",
            format!(
                "all {} application goroutines blocked at the end, but {}",
                ev.app_alive_at_end,
                if waiting_outside { "some wait on the network, a timer or a syscall" } else { "the last blocked only just before the end" }
            ),
        );
        return;
    }
    let biggest = &ev.blocked[0];
    let stacks = ev
        .blocked
        .iter()
        .take(5)
        .map(blocked_stack)
        .collect();
    c.found(
        "deadlock",
        Severity::Critical,
        format!(
            "Every application goroutine ({}) is blocked at the end, nothing left to wake them: a deadlock",
            ev.app_alive_at_end
        ),
        format!("all {} blocked, quiet for {}", ev.app_alive_at_end, dur((ev.end_ns - last_block) as f64)),
        metrics(&[
            ("app_alive_at_end", ev.app_alive_at_end as f64),
            ("app_blocked_at_end", ev.app_blocked_at_end as f64),
            ("quiet_ns", (ev.end_ns - last_block) as f64),
        ]),
        vec![
            format!("{} goroutines in {} groups blocked at the end; none runnable, running or in a syscall", ev.app_blocked_at_end, ev.blocked.len()),
            format!("biggest group: {} in {} at {}", biggest.count, biggest.reason, app_leaf(&biggest.funcs)),
            format!("no goroutine blocked in the last {}", dur((ev.end_ns - last_block) as f64)),
        ],
        stacks,
        vec![TimeRange { start_ns: last_block, end_ns: ev.end_ns, what: "everything blocked".into() }],
        &[
            "Look at the blocked stacks: two goroutines each waiting for the other's lock or channel",
            "Take locks in one fixed order; never hold a lock while sending on a channel",
            "Give waits a way out: select with ctx.Done() or a timeout",
        ],
    );
}

fn goroutine_leak(c: &mut Ctx<'_>) {
    let ev = c.ev;
    let min = c.th.get("goroutine-leak.min_goroutines");
    let crit = c.th.get("goroutine-leak.critical_goroutines");
    let min_share = c.th.get("goroutine-leak.min_wait_share");
    let span = c.span as f64;
    let leaking: Vec<&BlockedGroup> = ev
        .blocked
        .iter()
        .filter(|g| g.began_in_trace as f64 >= min.max(1.0) && g.median_wait_ns as f64 >= min_share * span)
        .collect();
    if let Some(g) = leaking.first() {
        let severity = if g.began_in_trace as f64 >= crit { Severity::Critical } else { Severity::Warning };
        let reason = if g.reason.is_empty() { "an unknown wait" } else { &g.reason };
        let where_ = app_leaf(&g.funcs);
        let rate = g.began_in_trace as f64 / (span / 1e9);
        let network = g.reason.contains("network") || g.reason.contains("IO wait");
        let severity = if network { Severity::Info } else { severity };
        let mut evidence = vec![
            format!(
                "{} goroutines (start: {}) blocked in {} at {} and never woke: {} of them began waiting during the trace",
                g.count, g.start_function, reason, where_, g.began_in_trace
            ),
            format!(
                "waited {} min, {} median, {} max at the end ({} of the trace)",
                dur(g.min_wait_ns as f64),
                dur(g.median_wait_ns as f64),
                dur(g.max_wait_ns as f64),
                pct(g.median_wait_ns as f64 / span)
            ),
            format!("the group grew by {} goroutines in {} (about {:.0}/s)", g.began_in_trace, dur(span), rate),
            format!(
                "application goroutines alive: {} at the start, {} blocked of {} at the end",
                ev.alive_first_window, ev.app_blocked_at_end, ev.app_alive_at_end
            ),
        ];
        if leaking.len() > 1 {
            evidence.push(format!("{} more groups look the same", leaking.len() - 1));
        }
        let stacks = leaking
            .iter()
            .take(3)
            .map(|g| blocked_stack(g))
            .collect();
        let blocked: usize = leaking.iter().map(|g| g.count).sum();
        c.found(
            "goroutine-leak",
            severity,
            format!(
                "{} goroutines blocked forever in {} at {}: a goroutine leak{}",
                g.count,
                reason,
                where_,
                if network { " or idle connections without a timeout" } else { "" }
            ),
            format!("{} new blocked goroutines in one group >= {}", g.began_in_trace, min),
            metrics(&[
                ("goroutines", g.count as f64),
                ("began_in_trace", g.began_in_trace as f64),
                ("groups", leaking.len() as f64),
                ("blocked_in_groups", blocked as f64),
                ("median_wait_ns", g.median_wait_ns as f64),
                ("max_wait_ns", g.max_wait_ns as f64),
                ("growth_per_s", rate),
            ]),
            evidence,
            stacks,
            vec![TimeRange { start_ns: g.first_since_ns, end_ns: ev.end_ns, what: format!("{} goroutines blocked in {}", g.count, where_) }],
            &[
                "Make sure someone always sends, receives or closes: close the channel when the producer is done",
                "Cancel with a context: select on ctx.Done() next to the channel operation",
                "Bound the goroutines (a worker pool) so a stuck dependency cannot pile them up",
            ],
        );
        return;
    }
    // Constant groups (blocked since before the trace, or a handful): not leaks.
    let constant: Vec<&BlockedGroup> = ev.blocked.iter().filter(|g| g.count as f64 >= min && g.began_in_trace == 0).collect();
    if let Some(g) = constant.first() {
        c.found(
            "goroutine-leak",
            Severity::Info,
            format!(
                "{} goroutines blocked in {} at {} for the whole trace, a constant group (long-lived loops, or a leak older than the trace)",
                g.count,
                if g.reason.is_empty() { "an unknown wait" } else { &g.reason },
                app_leaf(&g.funcs)
            ),
            format!("{} goroutines blocked since before the trace, none new", g.count),
            metrics(&[("goroutines", g.count as f64), ("began_in_trace", 0.0), ("groups", constant.len() as f64)]),
            vec![format!("all {} were already waiting when the trace began; the group did not grow", g.count)],
            vec![StackEvidence { role: "blocked at".into(), funcs: g.funcs.clone(), count: g.count as i64, total_ns: None }],
            vec![],
            &["Trace longer, or twice, and compare: a leak grows, a pool of loops does not"],
        );
        return;
    }
    let biggest = ev.blocked.first();
    c.clear(
        "goroutine-leak",
        match biggest {
            Some(g) => format!(
                "{} application goroutines blocked at the end; the biggest group has {} ({} began waiting in the trace, median wait {}), under {} new",
                ev.app_blocked_at_end,
                g.count,
                g.began_in_trace,
                dur(g.median_wait_ns as f64),
                min
            ),
            None => "no application goroutine blocked at the end".into(),
        },
    );
}

fn p_hog(c: &mut Ctx<'_>, r: &Report) {
    let whys = r.why.as_deref().unwrap_or(&[]);
    let min_hold = c.th.get("p-hog.min_hold");
    let min_share = c.th.get("p-hog.min_share");
    if whys.is_empty() {
        c.skipped("p-hog", "no scheduling delay to explain".into());
        return;
    }
    // Holds by one goroutine, running (not in syscalls) for min_hold or more.
    let mut by_g: BTreeMap<i64, Vec<&crate::Why>> = BTreeMap::new();
    for w in whys {
        if let Some(h) = &w.holder {
            if h.overlap_ns as f64 >= min_hold && 2 * h.syscall_ns < h.overlap_ns {
                by_g.entry(h.g).or_default().push(w);
            }
        }
    }
    let top = by_g.iter().max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(a.0)));
    let n = whys.len();
    let Some((&g, ws)) = top.filter(|(_, ws)| ws.len() as f64 >= min_share * n as f64) else {
        let best = top.map_or(0, |(_, ws)| ws.len());
        c.clear("p-hog", format!("{best} of the {n} worst delays held by one running goroutine for >= {}; needs {}", dur(min_hold), pct(min_share)));
        return;
    };
    let longest = ws.iter().max_by_key(|w| w.holder.as_ref().map_or(0, |h| h.overlap_ns)).copied().expect("non-empty");
    let h = longest.holder.as_ref().expect("held");
    let funcs = h.funcs.clone().unwrap_or_default();
    let held_total: i64 = ws.iter().map(|w| w.holder.as_ref().map_or(0, |h| h.overlap_ns)).sum();
    let waited_total: i64 = ws.iter().map(|w| w.delay.duration_ns).sum();
    let victims: std::collections::BTreeSet<i64> = ws.iter().map(|w| w.delay.g).collect();
    let leaf = app_leaf(&funcs);
    let ranges = ws
        .iter()
        .take(5)
        .map(|w| TimeRange {
            start_ns: w.delay.start_ns,
            end_ns: w.delay.end_ns,
            what: format!("G{} waited {} while G{g} held P{}", w.delay.g, dur(w.delay.duration_ns as f64), w.delay.p.unwrap_or(-1)),
        })
        .collect();
    c.found(
        "p-hog",
        Severity::Warning,
        format!("G{g} ({leaf}) holds its P for long stretches while other goroutines wait for it"),
        format!("{} of the {n} worst delays held by G{g} >= {}", ws.len(), pct(min_share)),
        metrics(&[
            ("goroutine", g as f64),
            ("delays_held", ws.len() as f64),
            ("delays_examined", n as f64),
            ("longest_hold_ns", h.overlap_ns as f64),
            ("held_ns", held_total as f64),
            ("waited_ns", waited_total as f64),
            ("procs", c.procs as f64),
        ]),
        vec![
            format!(
                "{} of the {n} worst scheduling delays (as --why={n}): the P the waiter needed was held by G{g}",
                ws.len()
            ),
            format!(
                "longest: G{} waited {} on P{} while G{g} held it for {} running {}",
                longest.delay.g,
                dur(longest.delay.duration_ns as f64),
                longest.delay.p.unwrap_or(-1),
                dur(h.overlap_ns as f64),
                leaf
            ),
            format!("{} goroutines delayed, {} of waiting in these delays", victims.len(), dur(waited_total as f64)),
        ],
        vec![StackEvidence { role: "held by".into(), funcs, count: ws.len() as i64, total_ns: Some(held_total) }],
        ranges,
        &[
            "Break the loop into pieces or call runtime.Gosched() in it; move long CPU work off latency-sensitive paths",
            "Raise GOMAXPROCS if it is below the CPUs available, so one busy goroutine does not hold the only P",
            "Run the CPU-heavy work in a bounded worker pool sized below GOMAXPROCS",
        ],
    );
}

fn launch_burst(c: &mut Ctx<'_>, r: &Report) {
    let min = c.th.get("launch-burst.min_goroutines");
    let crit = c.th.get("launch-burst.critical_goroutines");
    let launchers = r.launchers.as_deref().unwrap_or(&[]);
    let Some(l) = launchers.first().filter(|l| l.goroutines as f64 >= min) else {
        let best = launchers.first().map_or(0, |l| l.goroutines);
        c.clear("launch-burst", format!("the top launcher's goroutines that waited over 1ms: {best}, under {min}"));
        return;
    };
    let funcs = l.funcs.clone().unwrap_or_default();
    let leaf = app_leaf(&funcs);
    let peak = r.runnable_series.iter().map(|x| x.1).max().unwrap_or(0);
    let bursts = r.bursts.as_deref().unwrap_or(&[]);
    let ranges: Vec<TimeRange> = bursts
        .iter()
        .take(3)
        .map(|b| TimeRange {
            start_ns: r.t0_ns + (b.start_ms * 1e6) as i64,
            end_ns: r.t0_ns + (b.start_ms * 1e6) as i64 + 1_000_000,
            what: format!("{} goroutines became runnable", b.goroutines),
        })
        .collect();
    let severity = if l.goroutines as f64 >= crit { Severity::Critical } else { Severity::Warning };
    c.found(
        "launch-burst",
        severity,
        format!(
            "{leaf} launched {} goroutines at once, far more than {} P(s) can run: they queued up to {}",
            l.goroutines,
            r.procs,
            dur(l.max_ns as f64)
        ),
        format!("{} delayed goroutines from one launcher >= {min}", l.goroutines),
        metrics(&[
            ("goroutines", l.goroutines as f64),
            ("total_delay_ns", l.total_ns as f64),
            ("max_delay_ns", l.max_ns as f64),
            ("runnable_peak", peak as f64),
            ("procs", r.procs as f64),
        ]),
        vec![
            format!(
                "{} goroutines created by {leaf} waited over 1ms to run (as --bursts): {} of waiting in all, {} the longest",
                l.goroutines,
                dur(l.total_ns as f64),
                dur(l.max_ns as f64)
            ),
            format!("up to {peak} goroutines runnable at once on {} P(s)", r.procs),
            match bursts.first() {
                Some(b) => format!("biggest 1ms burst: {} goroutines became runnable at +{:.0}ms", b.goroutines, b.start_ms),
                None => "no 1ms burst above 10 goroutines".into(),
            },
        ],
        vec![StackEvidence { role: "launched by".into(), funcs, count: l.goroutines, total_ns: Some(l.total_ns) }],
        ranges,
        &[
            "Use a worker pool (a fixed number of goroutines reading from a channel) instead of one goroutine per item",
            "Or bound concurrency with a semaphore (a buffered channel, or errgroup.SetLimit)",
        ],
    );
}

fn lock_contention(c: &mut Ctx<'_>, unblockers: &QueryResult, windows: &QueryResult) {
    let min = c.th.get("lock-contention.min_waiting");
    let crit = c.th.get("lock-contention.critical_waiting_per_p") * c.procs as f64;
    let span = c.span as f64;
    let mutex: Vec<&ProfileStack> = c.ev.sync.iter().filter(|s| is_mutex_leaf(&s.funcs)).collect();
    let all_mutex: i64 = mutex.iter().map(|s| s.delay_ns).sum();
    let sync_total: i64 = c.ev.sync.iter().map(|s| s.delay_ns).sum();
    let Some(top) = mutex.first().filter(|s| s.delay_ns as f64 / span >= min) else {
        let w = mutex.first().map_or(0.0, |s| s.delay_ns as f64 / span);
        c.clear("lock-contention", format!("top lock stack: {w:.2} goroutines waiting on average, under {min}"));
        return;
    };
    let waiting = top.delay_ns as f64 / span;
    let share = if all_mutex > 0 { top.delay_ns as f64 / all_mutex as f64 } else { 0.0 };
    let leaf = app_leaf(&top.funcs);
    // Where the holders unlocked: the stacks that woke goroutines blocked on this stack.
    let (bf, uf, n) = (col(unblockers, "blocked_funcs"), col(unblockers, "unblocker_funcs"), col(unblockers, "count"));
    let mut unlocks: Vec<(Vec<String>, i64)> = unblockers
        .rows
        .iter()
        .filter(|row| list(&row[bf]).is_some_and(|f| same_stack(&f, &top.funcs)))
        .map(|row| (list(&row[uf]).unwrap_or_default(), int(&row[n])))
        .collect();
    unlocks.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut stacks = vec![StackEvidence {
        role: "blocked at".into(),
        funcs: top.funcs.clone(),
        count: top.count as i64,
        total_ns: Some(top.delay_ns),
    }];
    if let Some((f, k)) = unlocks.first() {
        stacks.push(StackEvidence { role: "unlocked at".into(), funcs: f.clone(), count: *k, total_ns: None });
    }
    let severity = if waiting >= crit { Severity::Critical } else { Severity::Warning };
    let mut evidence = vec![
        format!(
            "{} blocked on the lock at {leaf}: {} waits, {:.2} goroutines waiting on average over the trace (as pprof sync)",
            dur(top.delay_ns as f64),
            top.count,
            waiting
        ),
        format!(
            "this stack is {} of all mutex waiting ({} on {} lock stacks) and {} of all sync blocking",
            pct(share),
            dur(all_mutex as f64),
            mutex.len(),
            pct(if sync_total > 0 { top.delay_ns as f64 / sync_total as f64 } else { 0.0 })
        ),
    ];
    if let Some((f, k)) = unlocks.first() {
        evidence.push(format!("woken {k} times by the holder unlocking at {}", app_leaf(f)));
    }
    c.found(
        "lock-contention",
        severity,
        format!(
            "Goroutines queue on one mutex at {leaf}: on average {waiting:.1} goroutines wait for it ({} blocked in {} waits)",
            dur(top.delay_ns as f64),
            top.count
        ),
        format!("{waiting:.2} goroutines waiting on average >= {min}"),
        metrics(&[
            ("delay_ns", top.delay_ns as f64),
            ("contentions", top.count as f64),
            ("avg_waiting", waiting),
            ("share_of_mutex_delay", share),
            ("mutex_delay_ns", all_mutex as f64),
            ("sync_delay_ns", sync_total as f64),
        ]),
        evidence,
        stacks,
        hot_ranges(c, windows, &top.funcs, min, &format!("goroutines queued on the lock at {leaf}")),
        &[
            "Hold the lock for less: do the work outside it, take it only to publish the result",
            "Shard the lock (one per key range or per worker) or use per-goroutine state merged at the end",
            "For read-mostly data use sync.RWMutex or atomic.Pointer with copy-on-write",
        ],
    );
}

/// Windows the trace is cut into for time ranges (`wait_windows.sql`, `run_slices.sql`).
const WINDOWS: i64 = 50;

/// Where waits on one stack crowd: the windows of `wait_windows.sql` whose
/// waits average at least `min_waiting` goroutines, runs of them merged, the
/// three with most waiting (in time order); the busiest window when none
/// reaches it. Windows are 1/50 of the trace, so a range is at least that.
fn hot_ranges(c: &Ctx<'_>, windows: &QueryResult, funcs: &[String], min_waiting: f64, what: &str) -> Vec<TimeRange> {
    let (fc, bc, tc) = (col(windows, "funcs"), col(windows, "bucket"), col(windows, "total_ns"));
    let mut per: BTreeMap<i64, i64> = BTreeMap::new();
    for row in &windows.rows {
        if list(&row[fc]).is_some_and(|f| same_stack(&f, funcs)) {
            *per.entry(int(&row[bc])).or_default() += int(&row[tc]);
        }
    }
    let edge = |b: i64| c.ev.start_ns + (b as i128 * c.span as i128 / WINDOWS as i128) as i64;
    let window = c.span as f64 / WINDOWS as f64;
    // Runs of hot windows: (first, last, total waiting).
    let mut runs: Vec<(i64, i64, i64)> = Vec::new();
    for (&b, &ns) in &per {
        if (ns as f64) < min_waiting * window {
            continue;
        }
        match runs.last_mut() {
            Some(r) if r.1 + 1 == b => {
                r.1 = b;
                r.2 += ns;
            }
            _ => runs.push((b, b, ns)),
        }
    }
    if runs.is_empty() {
        if let Some((&b, &ns)) = per.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) {
            runs.push((b, b, ns));
        }
    }
    runs.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    runs.truncate(3);
    runs.sort_by_key(|r| r.0);
    runs.iter()
        .map(|&(a, b, ns)| {
            let (s, e) = (edge(a), edge(b + 1));
            TimeRange { start_ns: s, end_ns: e, what: format!("{what}: {:.1} waiting on average", ns as f64 / (e - s).max(1) as f64) }
        })
        .collect()
}

/// Whether a stack (leaf first) blocks in a channel operation or a select.
fn is_chan_leaf(funcs: &[String]) -> bool {
    funcs.iter().take(2).any(|f| {
        matches!(f.as_str(), "runtime.chansend1" | "runtime.chanrecv1" | "runtime.chanrecv2" | "runtime.selectgo" | "runtime.chansend" | "runtime.chanrecv")
    })
}

/// Whether a stack has a frame of the application (not the runtime or the
/// standard library): waits inside libraries (net/http's connection loops)
/// are their business, not the program's design.
fn has_app_frame(funcs: &[String]) -> bool {
    funcs.iter().any(|f| !is_runtime_or_std(f))
}

/// Whether a function is the runtime's or the standard library's (a package
/// path whose first element has no dot, or one of the short std packages).
fn is_runtime_or_std(f: &str) -> bool {
    ["runtime.", "runtime/", "sync.", "syscall.", "internal/"].iter().any(|p| f.starts_with(p))
        || match f.split_once('/') {
            Some((first, _)) => !first.contains('.'),
            None => f.split_once('.').is_some_and(|(p, _)| is_std_pkg(p)),
        }
}

fn channel_bottleneck(c: &mut Ctx<'_>, q: &QueryResult, windows: &QueryResult) {
    let min_g = c.th.get("channel-bottleneck.min_goroutines");
    let min_waiting = c.th.get("channel-bottleneck.min_waiting");
    let min_mean = c.th.get("channel-bottleneck.min_mean_wait");
    let min_busy = c.th.get("channel-bottleneck.min_other_busy");
    let span = c.span as f64;
    let get = |row: &Vec<schedstat_query::Cell>, name: &str| int(&row[col(q, name)]);
    struct Cand {
        funcs: Vec<String>,
        reason: String,
        goroutines: i64,
        waits: i64,
        total: i64,
        waiting: f64,
        mean: f64,
        busy: f64,
        wakers: i64,
        waker_funcs: Vec<String>,
        waker_count: i64,
    }
    let cands: Vec<Cand> = q
        .rows
        .iter()
        .map(|row| {
            let funcs = list(&row[col(q, "funcs")]).unwrap_or_default();
            let (waits, total, wakers) = (get(row, "waits"), get(row, "total_ns"), get(row, "wakers"));
            Cand {
                reason: text(&row[col(q, "reason")]).unwrap_or_default(),
                goroutines: get(row, "goroutines"),
                waits,
                total,
                waiting: total as f64 / span,
                mean: total as f64 / waits.max(1) as f64,
                busy: get(row, "wakers_running_ns") as f64 / (wakers.max(1) as f64 * span),
                wakers,
                waker_funcs: list(&row[col(q, "waker_funcs")]).unwrap_or_default(),
                waker_count: get(row, "waker_count"),
                funcs,
            }
        })
        .filter(|k| is_chan_leaf(&k.funcs) && has_app_frame(&k.funcs))
        .collect();
    let ok = |k: &Cand| k.goroutines as f64 >= min_g && k.waiting >= min_waiting && k.mean >= min_mean && k.busy >= min_busy;
    let Some(k) = cands.iter().find(|k| ok(k)) else {
        c.clear(
            "channel-bottleneck",
            match cands.first() {
                Some(k) => format!(
                    "top channel wait at {}: {} goroutines, {:.2} waiting on average, mean wait {}, other side busy {} (needs {min_g}, {min_waiting}, {}, {})",
                    app_leaf(&k.funcs),
                    k.goroutines,
                    k.waiting,
                    dur(k.mean),
                    pct(k.busy),
                    dur(min_mean),
                    pct(min_busy)
                ),
                None => "no application goroutine waited on a channel operation".into(),
            },
        );
        return;
    };
    let leaf = app_leaf(&k.funcs);
    let other = app_leaf(&k.waker_funcs);
    // The sync profile's figures for this stack (pprof sync), when it has it.
    let prof = c.ev.sync.iter().find(|s| same_stack(&s.funcs, &k.funcs));
    let sync_total: i64 = c.ev.sync.iter().map(|s| s.delay_ns).sum();
    let (delay, contentions) = prof.map_or((k.total, k.waits as u64), |p| (p.delay_ns, p.count));
    let share = if sync_total > 0 { delay as f64 / sync_total as f64 } else { 0.0 };
    let severity =
        if k.waiting / c.procs as f64 >= c.th.get("channel-bottleneck.critical_waiting_per_p") { Severity::Critical } else { Severity::Warning };
    let op = match k.reason.as_str() {
        "chan send" => "send",
        "chan receive" => "receive",
        _ => "select",
    };
    let ranges = hot_ranges(c, windows, &k.funcs, min_waiting, &format!("goroutines waiting to {op} at {leaf}"));
    c.found(
        "channel-bottleneck",
        severity,
        format!(
            "{} goroutines queue on one channel {op} at {leaf}: {:.1} wait on average while the other side ({other}) is busy {} of the time",
            k.goroutines,
            k.waiting,
            pct(k.busy)
        ),
        format!("{} goroutines, {:.2} waiting >= {min_waiting}, mean wait {}, other side busy {}", k.goroutines, k.waiting, dur(k.mean), pct(k.busy)),
        metrics(&[
            ("goroutines", k.goroutines as f64),
            ("waits", k.waits as f64),
            ("blocked_ns", k.total as f64),
            ("delay_ns", delay as f64),
            ("contentions", contentions as f64),
            ("avg_waiting", k.waiting),
            ("mean_wait_ns", k.mean),
            ("share_of_sync_delay", share),
            ("sync_delay_ns", sync_total as f64),
            ("other_side_goroutines", k.wakers as f64),
            ("other_side_busy_share", k.busy),
        ]),
        vec![
            format!(
                "{} goroutines blocked {} times in chan {op} at {leaf}, {} in all ({:.1} goroutines waiting on average, {} per wait)",
                k.goroutines,
                k.waits,
                dur(k.total as f64),
                k.waiting,
                dur(k.mean)
            ),
            format!(
                "as pprof sync: {} in {contentions} waits on this stack, {} of all blocking on sync and channels",
                dur(delay as f64),
                pct(share)
            ),
            format!(
                "the other side: {} goroutine(s) woke them, {} times from {other}; they ran {} of the trace",
                k.wakers,
                k.waker_count,
                pct(k.busy)
            ),
        ],
        vec![
            StackEvidence { role: format!("blocked in chan {op} at"), funcs: k.funcs.clone(), count: k.waits, total_ns: Some(k.total) },
            StackEvidence { role: "woken by".into(), funcs: k.waker_funcs.clone(), count: k.waker_count, total_ns: None },
        ],
        ranges,
        &[
            "Add goroutines on the other side (more consumers or producers), or shard the work over several channels",
            "Make each item cheaper for the other side: batch items, move work out of its loop",
            "Buffer the channel to absorb bursts (a buffer does not help when the other side is slower on average)",
        ],
    );
}

fn context_switching(c: &mut Ctx<'_>, q: &QueryResult) {
    let max_median = c.th.get("context-switching.max_median_slice");
    let min_rate = c.th.get("context-switching.min_rate_per_p");
    let Some(all) = q.rows.first().filter(|r| text(&r[col(q, "name")]).is_none()) else {
        c.clear("context-switching", "no application goroutine handed off to another (blocked on a channel, select or lock)".into());
        return;
    };
    let get = |row: &Vec<schedstat_query::Cell>, name: &str| int(&row[col(q, name)]);
    let secs = c.span as f64 / 1e9;
    let slices = get(all, "slices");
    let median = get(all, "median_ns");
    let rate = slices as f64 / secs;
    let per_p = rate / c.procs as f64;
    if (median as f64) > max_median || per_p < min_rate {
        c.clear(
            "context-switching",
            format!(
                "{slices} handoffs, {per_p:.0}/s per P (needs {min_rate}), median run slice {} (at most {})",
                dur(median as f64),
                dur(max_median)
            ),
        );
        return;
    }
    let groups: Vec<&Vec<schedstat_query::Cell>> = q.rows.iter().skip(1).take(3).collect();
    let mut evidence = vec![
        format!(
            "{slices} handoffs by application goroutines in {}: {:.0}/s, {per_p:.0}/s per P; median run slice before one {}",
            dur(c.span as f64),
            rate,
            dur(median as f64)
        ),
        format!(
            "{} of running between handoffs: {} of all Ps' time",
            dur(get(all, "running_ns") as f64),
            pct(get(all, "running_ns") as f64 / (c.span as f64 * c.procs as f64))
        ),
    ];
    let mut top_exec = None;
    for (i, g) in groups.iter().enumerate() {
        let name = text(&g[col(q, "name")]).unwrap_or_default();
        let exec = c.ev.groups.iter().find(|x| x.name == name);
        if i == 0 {
            top_exec = exec.map(|x| x.exec_ns);
        }
        evidence.push(format!(
            "{} ({} goroutines): {} handoffs, median slice {}{}",
            app_leaf(std::slice::from_ref(&name)),
            get(g, "goroutines"),
            get(g, "slices"),
            dur(get(g, "median_ns") as f64),
            exec.map_or(String::new(), |x| format!(", {} executing in all (as schedstat goroutines)", dur(x.exec_ns as f64)))
        ));
    }
    let top = groups.first().map(|g| text(&g[col(q, "name")]).unwrap_or_default()).unwrap_or_default();
    let (bs, be) = (opt_int(&all[col(q, "busiest_start_ns")]), opt_int(&all[col(q, "busiest_end_ns")]));
    let mut m = metrics(&[
        ("handoffs", slices as f64),
        ("handoffs_per_s", rate),
        ("handoffs_per_s_per_p", per_p),
        ("median_slice_ns", median as f64),
        ("running_ns", get(all, "running_ns") as f64),
        ("top_group_handoffs", groups.first().map_or(0.0, |g| get(g, "slices") as f64)),
        ("top_group_goroutines", groups.first().map_or(0.0, |g| get(g, "goroutines") as f64)),
    ]);
    if let Some(e) = top_exec {
        m.insert("top_group_exec_ns".into(), e as f64);
    }
    c.found(
        "context-switching",
        Severity::Warning,
        format!(
            "Goroutines run {} at a time between handoffs, {per_p:.0} switches per second per P, mostly {}",
            dur(median as f64),
            app_leaf(std::slice::from_ref(&top))
        ),
        format!("median slice {} <= {}, {per_p:.0}/s per P >= {min_rate}", dur(median as f64), dur(max_median)),
        m,
        evidence,
        groups
            .iter()
            .map(|g| StackEvidence {
                role: "goroutine group".into(),
                funcs: vec![text(&g[col(q, "name")]).unwrap_or_default()],
                count: get(g, "goroutines"),
                total_ns: Some(get(g, "running_ns")),
            })
            .collect(),
        match (bs, be) {
            (Some(s), Some(e)) => vec![TimeRange { start_ns: s, end_ns: e, what: format!("most handoffs: {}", get(all, "busiest_slices")) }],
            _ => vec![],
        },
        &[
            "Batch work: hand over slices of items, not one item per channel operation",
            "Use fewer goroutines and handoffs: do consecutive stages in one goroutine, or a plain function call instead of a channel round trip",
            "For shared counters or state, a mutex or atomics instead of a goroutine that owns it",
        ],
    );
}

/// Two stacks (leaf first) are the same when their functions match; profile
/// stacks are cut at 128 frames, so a longer stack matches its prefix.
fn same_stack(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    n > 0 && a[..n] == b[..n]
}

fn gc_pressure(c: &mut Ctx<'_>, assists_q: &QueryResult) {
    let g = &c.ev.gc;
    let span = c.span as f64;
    let mark_share = g.mark_ns as f64 / span;
    let assist_ns: i64 = g.assists.iter().map(|a| a.3).sum();
    let assist_share = assist_ns as f64 / (span * c.procs as f64);
    let stw_share = g.stw_ns as f64 / span;
    let (tm, ta, ts) = (c.th.get("gc-pressure.mark_share"), c.th.get("gc-pressure.assist_share"), c.th.get("gc-pressure.stw_share"));
    let note = format!(
        "mark {} (>= {}?), assists {} of Ps' time (>= {}?), stop-the-world {} (>= {}?)",
        pct(mark_share),
        pct(tm),
        pct(assist_share),
        pct(ta),
        pct(stw_share),
        pct(ts)
    );
    let min_cycles = c.th.get("gc-pressure.min_cycles");
    if (g.mark_phases as f64) < min_cycles {
        c.clear("gc-pressure", format!("{} GC cycle(s), under {min_cycles}; {note}", g.mark_phases));
        return;
    }
    if mark_share < tm && assist_share < ta && stw_share < ts {
        c.clear("gc-pressure", note);
        return;
    }
    let severity = if assist_share >= c.th.get("gc-pressure.critical_assist_share") { Severity::Critical } else { Severity::Warning };
    let (fc, cc, tc) = (col(assists_q, "funcs"), col(assists_q, "count"), col(assists_q, "total_ns"));
    let stacks: Vec<StackEvidence> = assists_q
        .rows
        .iter()
        .take(3)
        .map(|row| StackEvidence {
            role: "assisting at".into(),
            funcs: list(&row[fc]).unwrap_or_default(),
            count: int(&row[cc]),
            total_ns: opt_int(&row[tc]),
        })
        .collect();
    let mut evidence = vec![format!(
        "{} GC cycles: {} in mark phases ({} of the trace), {} stop-the-world pauses for {}",
        g.mark_phases,
        dur(g.mark_ns as f64),
        pct(mark_share),
        g.stw_count,
        dur(g.stw_ns as f64)
    )];
    if assist_ns > 0 {
        let mut by_name: BTreeMap<&str, (usize, i64)> = BTreeMap::new();
        for a in &g.assists {
            let e = by_name.entry(a.1.as_str()).or_default();
            e.0 += 1;
            e.1 += a.3;
        }
        let mut names: Vec<_> = by_name.into_iter().collect();
        names.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(b.0)));
        let (name, (k, t)) = names[0];
        evidence.push(format!(
            "mark assists: {} on {} goroutines ({} of all Ps' time); most by {k} goroutine(s) starting at {}: {}",
            dur(assist_ns as f64),
            g.assists.len(),
            pct(assist_share),
            short(name),
            dur(t as f64)
        ));
    }
    if let Some(s) = stacks.first() {
        evidence.push(format!("allocation path doing most assists: {}", app_leaf(&s.funcs)));
    }
    let mut ranges = Vec::new();
    if let Some((s, d)) = g.longest_mark {
        ranges.push(TimeRange { start_ns: s, end_ns: s + d, what: "longest mark phase".into() });
    }
    if let Some((s, d)) = g.longest_stw {
        ranges.push(TimeRange { start_ns: s, end_ns: s + d, what: "longest stop-the-world pause".into() });
    }
    let verdict = if assist_share >= ta {
        format!("Allocation makes goroutines do the GC's work: mark assists take {} of the Ps' time", pct(assist_share))
    } else if mark_share >= tm {
        format!("The GC runs {} of the time: the program allocates faster than the heap goal allows", pct(mark_share))
    } else {
        format!("Stop-the-world pauses take {} of the trace", pct(stw_share))
    };
    c.found(
        "gc-pressure",
        severity,
        verdict,
        note,
        metrics(&[
            ("gc_cycles", g.mark_phases as f64),
            ("mark_ns", g.mark_ns as f64),
            ("mark_share", mark_share),
            ("assist_ns", assist_ns as f64),
            ("assist_share", assist_share),
            ("stw_count", g.stw_count as f64),
            ("stw_ns", g.stw_ns as f64),
            ("stw_share", stw_share),
        ]),
        evidence,
        stacks,
        ranges,
        &[
            "Cut allocations on the hot path: reuse buffers (sync.Pool), preallocate slices and maps, avoid pointer-rich temporary structures",
            "Give the GC room: raise GOGC, or set GOMEMLIMIT and a higher GOGC if memory allows",
            "Profile allocations (go test -memprofile, pprof -sample_index=alloc_space) to find the biggest allocators",
        ],
    );
}

fn short(f: &str) -> String {
    let last = f.rsplit('/').next().unwrap_or(f);
    if last.is_empty() {
        "(unknown)".into()
    } else {
        last.to_string()
    }
}

fn cpu_saturation(c: &mut Ctx<'_>, q: &QueryResult, row: Option<&Vec<schedstat_query::Cell>>, r: Option<&Report>) {
    let Some(row) = row else {
        c.skipped("cpu-saturation", "no run-queue data".into());
        return;
    };
    let total = int(&row[col(q, "total_ns")]);
    let share = total as f64 / c.span as f64;
    let avg = float(&row[col(q, "avg_runnable")]);
    let per_p = avg / c.procs as f64;
    let min = c.th.get("cpu-saturation.min_share");
    let queue = c.th.get("cpu-saturation.queue_per_p");
    if share < min {
        c.clear("cpu-saturation", format!("every P busy with >= {} runnable for {} of the trace, under {}", c.procs, pct(share), pct(min)));
        return;
    }
    let severity = if per_p >= queue { Severity::Warning } else { Severity::Info };
    let peak = int(&row[col(q, "peak_runnable")]);
    let (ls, le) = (opt_int(&row[col(q, "longest_start_ns")]), opt_int(&row[col(q, "longest_end_ns")]));
    let p99 = r.map_or(0.0, |r| r.latency.p99_ns);
    let verdict = if severity == Severity::Warning {
        format!(
            "The CPU is the bottleneck: every P busy for {} of the trace with {per_p:.1} goroutines waiting per P",
            pct(share)
        )
    } else {
        format!(
            "CPU-bound: every P busy for {} of the trace, {per_p:.1} goroutines waiting per P (fine for a batch job)",
            pct(share)
        )
    };
    c.found(
        "cpu-saturation",
        severity,
        verdict,
        format!("saturated {} >= {}, {per_p:.1} runnable per P (warning at {queue})", pct(share), pct(min)),
        metrics(&[
            ("saturated_ns", total as f64),
            ("saturated_share", share),
            ("avg_runnable", avg),
            ("runnable_per_p", per_p),
            ("peak_runnable", peak as f64),
            ("procs", c.procs as f64),
            ("latency_p99_ns", p99),
        ]),
        {
            let mut e = vec![
                format!(
                    "every P busy and at least {} goroutines runnable for {} ({} of the trace), {avg:.1} runnable on average, {peak} at most",
                    c.procs,
                    dur(total as f64),
                    pct(share)
                ),
                format!("scheduling latency p99: {} on {} P(s)", dur(p99), c.procs),
            ];
            let top: Vec<String> = c
                .ev
                .groups
                .iter()
                .take(3)
                .map(|g| {
                    format!(
                        "{} ({} goroutines: {} executing, {} waiting to run)",
                        app_leaf(std::slice::from_ref(&g.name)),
                        g.count,
                        dur(g.exec_ns as f64),
                        dur(g.sched_wait_ns as f64)
                    )
                })
                .collect();
            if !top.is_empty() {
                e.push(format!("busiest groups (as schedstat goroutines): {}", top.join("; ")));
            }
            e
        },
        vec![],
        match (ls, le) {
            (Some(s), Some(e)) => vec![TimeRange { start_ns: s, end_ns: e, what: "longest saturated stretch".into() }],
            _ => vec![],
        },
        &[
            "Raise GOMAXPROCS if the machine has idle CPUs (check the container's CPU limit)",
            "Otherwise cut the work or the goroutines: a worker pool sized to GOMAXPROCS, less CPU per item",
        ],
    );
}

fn syscall_bound(c: &mut Ctx<'_>, q: &QueryResult) {
    let ev = c.ev;
    let row = q.rows.first();
    let get = |name: &str| row.map_or(0, |r| int(&r[col(q, name)]));
    let (instant, timed, after) = (get("instant_syscalls"), get("timed_syscalls"), get("after_instant_ns"));
    // Old-format traces time only the syscalls that blocked: the others'
    // length is inside the running stretch after them (an upper bound).
    let estimated = instant > 0 && instant >= 9 * timed;
    let (exec_ns, sys_ns) = if estimated {
        ((ev.app_exec_ns - after).max(0), ev.app_syscall_ns + after)
    } else {
        (ev.app_exec_ns, ev.app_syscall_ns)
    };
    let busy = exec_ns + sys_ns;
    let min = c.th.get("syscall-bound.min_share");
    let min_busy = c.th.get("syscall-bound.min_busy_share");
    if busy == 0 {
        c.skipped("syscall-bound", "no application execution time".into());
        return;
    }
    let share = sys_ns as f64 / busy as f64;
    let busy_share = sys_ns as f64 / (c.span as f64 * c.procs as f64);
    if share < min || busy_share < min_busy {
        c.clear(
            "syscall-bound",
            format!(
                "syscalls are {} of application busy time (needs {}) and {} of all Ps' time (needs {}){}",
                pct(share),
                pct(min),
                pct(busy_share),
                pct(min_busy),
                if estimated { ", estimated" } else { "" }
            ),
        );
        return;
    }
    let profile_total: i64 = ev.syscall.iter().map(|s| s.delay_ns).sum();
    let stacks: Vec<StackEvidence> = ev
        .syscall
        .iter()
        .take(3)
        .map(|s| StackEvidence { role: "in syscall at".into(), funcs: s.funcs.clone(), count: s.count as i64, total_ns: Some(s.delay_ns) })
        .collect();
    let leaves: Vec<String> = stacks.iter().map(|s| app_leaf(&s.funcs)).collect();
    // An estimate (an upper bound) is not enough for a warning.
    let severity = if estimated { Severity::Info } else { Severity::Warning };
    c.found(
        "syscall-bound",
        severity,
        format!(
            "Goroutines spend {}{} of their busy time in system calls, mostly at {}",
            if estimated { "up to " } else { "" },
            pct(share),
            leaves.first().cloned().unwrap_or_default()
        ),
        format!("syscall share {} >= {}", pct(share), pct(min)),
        metrics(&[
            ("syscall_ns", sys_ns as f64),
            ("exec_ns", exec_ns as f64),
            ("syscall_share", share),
            ("syscall_busy_share", busy_share),
            ("estimated", if estimated { 1.0 } else { 0.0 }),
            ("profile_syscall_ns", profile_total as f64),
        ]),
        vec![
            if estimated {
                format!(
                    "application goroutines: about {} in syscalls, {} executing (estimated: this trace format times only \
                     blocking syscalls; the others are bounded by the goroutine's next event)",
                    dur(sys_ns as f64),
                    dur(exec_ns as f64)
                )
            } else {
                format!(
                    "application goroutines: {} in syscalls, {} executing (as schedstat goroutines)",
                    dur(sys_ns as f64),
                    dur(exec_ns as f64)
                )
            },
            format!("top syscall stacks (as pprof syscall): {}", leaves.join(", ")),
        ],
        stacks,
        vec![],
        &[
            "Batch the calls: bigger reads and writes (bufio), fewer fsyncs",
            "Move blocking I/O off latency-sensitive goroutines; for files, a bounded pool of I/O goroutines",
        ],
    );
}

fn idle_ps(c: &mut Ctx<'_>, db: &dyn Sql, q: &QueryResult, row: Option<&Vec<schedstat_query::Cell>>) -> Result<()> {
    let Some(row) = row else {
        c.skipped("idle-ps", "no run-queue data".into());
        return Ok(());
    };
    let total = int(&row[col(q, "total_ns")]);
    let share = total as f64 / c.span as f64;
    let longest = int(&row[col(q, "longest_ns")]);
    let (min, stretch) = (c.th.get("idle-ps.min_share"), c.th.get("idle-ps.min_stretch"));
    if share < min || (longest as f64) < stretch {
        c.clear(
            "idle-ps",
            format!("a P idle while goroutines waited for {} of the trace (longest {}), under {}", pct(share), dur(longest as f64), pct(min)),
        );
        return Ok(());
    }
    // Who waited: only now, as the query joins both transition lists.
    let w = db.query(sql::IDLE_WAITERS)?;
    let (nc, gc, wc, rc) = (col(&w, "name"), col(&w, "goroutines"), col(&w, "waits"), col(&w, "runnable_ns"));
    let waiters: Vec<StackEvidence> = w
        .rows
        .iter()
        .map(|r| StackEvidence {
            role: "waited runnable while a P was idle".into(),
            funcs: vec![text(&r[nc]).unwrap_or_default()],
            count: int(&r[gc]),
            total_ns: Some(int(&r[rc])),
        })
        .collect();
    let avg = float(&row[col(q, "avg_runnable")]);
    let idle = float(&row[col(q, "avg_idle_procs")]);
    let (ls, le) = (opt_int(&row[col(q, "longest_start_ns")]), opt_int(&row[col(q, "longest_end_ns")]));
    c.found(
        "idle-ps",
        Severity::Warning,
        format!("Ps sat idle while goroutines were ready to run, {} of the trace", pct(share)),
        format!("{} >= {}, longest {}", pct(share), pct(min), dur(longest as f64)),
        metrics(&[
            ("idle_while_runnable_ns", total as f64),
            ("share", share),
            ("avg_runnable", avg),
            ("avg_idle_procs", idle),
            ("longest_ns", longest as f64),
            ("stretches", int(&row[col(q, "stretches")]) as f64),
        ]),
        {
            let mut e = vec![format!(
                "{idle:.1} P(s) idle while {avg:.1} goroutines were runnable, {} in all over {} stretches, the longest {}",
                dur(total as f64),
                int(&row[col(q, "stretches")]),
                dur(longest as f64)
            )];
            let named: Vec<String> = w
                .rows
                .iter()
                .map(|r| {
                    format!(
                        "{} ({} goroutines, {} waits, {})",
                        app_leaf(&[text(&r[nc]).unwrap_or_default()]),
                        int(&r[gc]),
                        int(&r[wc]),
                        dur(int(&r[rc]) as f64)
                    )
                })
                .collect();
            if !named.is_empty() {
                e.push(format!("who waited runnable while a P was idle: {}", named.join("; ")));
            }
            e
        },
        waiters,
        match (ls, le) {
            (Some(s), Some(e)) => vec![TimeRange { start_ns: s, end_ns: e, what: "longest stretch with idle Ps".into() }],
            _ => vec![],
        },
        &[
            "Look for runtime.LockOSThread or cgo calls pinning goroutines to threads",
            "Check the container's CPU quota (throttling) and the GC's stop-the-world pauses in that stretch",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_and_reject() {
        let mut t = Thresholds::default();
        t.set("lock-contention.min_waiting=0.5").unwrap();
        assert_eq!(t.get("lock-contention.min_waiting"), 0.5);
        t.set("p-hog.min_hold=2ms").unwrap();
        assert_eq!(t.get("p-hog.min_hold"), 2e6);
        t.set("idle-ps=40%").unwrap();
        assert!((t.get("idle-ps.min_share") - 0.4).abs() < 1e-12);
        t.set("goroutine-leak=5").unwrap();
        assert_eq!(t.get("goroutine-leak.min_goroutines"), 5.0);
        assert!(t.set("nope=1").unwrap_err().contains("unknown threshold 'nope'"));
        assert!(t.set("p-hog.min_hold=fast").unwrap_err().contains("bad value 'fast'"));
        assert!(t.set("goroutine-leak.min_goroutines=-3").is_err());
        assert!(t.set("p-hog").unwrap_err().contains("expected ID=VALUE"));
        for e in [t.set("nope=1"), t.set("p-hog.min_hold=x")] {
            assert!(!e.unwrap_err().contains('\n'));
        }
    }

    #[test]
    fn every_threshold_belongs_to_a_pattern() {
        for t in THRESHOLDS {
            let (p, _) = t.id.split_once('.').unwrap();
            assert!(PATTERNS.iter().any(|x| x.id == p), "{}", t.id);
        }
    }

    #[test]
    fn app_leaf_skips_runtime_and_std() {
        let f = |v: &[&str]| app_leaf(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(f(&["sync.(*Mutex).Lock", "main.contendedLock", "main.runMutex.func1.1"]), "contendedLock");
        assert_eq!(f(&["runtime.chanrecv1", "main.leakyWorker"]), "leakyWorker");
        assert_eq!(f(&["internal/poll.(*FD).Read", "os.(*File).read", "io.ReadFull", "main.urandomReader"]), "urandomReader");
        assert_eq!(f(&[]), "(no stack)");
    }
}
