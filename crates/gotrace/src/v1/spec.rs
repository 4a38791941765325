//! The old (Go 1.5–1.21) wire-format event table: one row per event type.
//!
//! Data, not code paths, as for the v2 table in [`crate::wire::spec`]: the
//! parser asks this table how many arguments an event has and whether its
//! last one is a stack ID. It mirrors `internal/trace/internal/tracev1` of
//! Go 1.27, whose names also appear in Go's error messages. The table gives
//! the layout of `go 1.11` and later; the older layouts (headers `go 1.5` to
//! `go 1.10`, which only Go 1.21 and earlier read) differ by a few arguments,
//! listed in [`LAYOUT_CHANGES`] and [`SEQ_BEFORE_TIME_UNTIL`] as Go 1.21's
//! `internal/trace/parser.go` documents them.

/// An old-format event type (the low six bits of an event's first byte).
pub type EventType = u8;

/// Event type codes of the old format.
#[allow(missing_docs)]
pub mod ev {
    use super::EventType;
    pub const NONE: EventType = 0;
    pub const BATCH: EventType = 1;
    pub const FREQUENCY: EventType = 2;
    pub const STACK: EventType = 3;
    pub const GOMAXPROCS: EventType = 4;
    pub const PROC_START: EventType = 5;
    pub const PROC_STOP: EventType = 6;
    pub const GC_START: EventType = 7;
    pub const GC_DONE: EventType = 8;
    pub const STW_START: EventType = 9;
    pub const STW_DONE: EventType = 10;
    pub const GC_SWEEP_START: EventType = 11;
    pub const GC_SWEEP_DONE: EventType = 12;
    pub const GO_CREATE: EventType = 13;
    pub const GO_START: EventType = 14;
    pub const GO_END: EventType = 15;
    pub const GO_STOP: EventType = 16;
    pub const GO_SCHED: EventType = 17;
    pub const GO_PREEMPT: EventType = 18;
    pub const GO_SLEEP: EventType = 19;
    pub const GO_BLOCK: EventType = 20;
    pub const GO_UNBLOCK: EventType = 21;
    pub const GO_BLOCK_SEND: EventType = 22;
    pub const GO_BLOCK_RECV: EventType = 23;
    pub const GO_BLOCK_SELECT: EventType = 24;
    pub const GO_BLOCK_SYNC: EventType = 25;
    pub const GO_BLOCK_COND: EventType = 26;
    pub const GO_BLOCK_NET: EventType = 27;
    pub const GO_SYSCALL: EventType = 28;
    pub const GO_SYSEXIT: EventType = 29;
    pub const GO_SYSBLOCK: EventType = 30;
    pub const GO_WAITING: EventType = 31;
    pub const GO_IN_SYSCALL: EventType = 32;
    pub const HEAP_ALLOC: EventType = 33;
    pub const HEAP_GOAL: EventType = 34;
    pub const TIMER_GOROUTINE: EventType = 35;
    pub const FUTILE_WAKEUP: EventType = 36;
    pub const STRING: EventType = 37;
    pub const GO_START_LOCAL: EventType = 38;
    pub const GO_UNBLOCK_LOCAL: EventType = 39;
    pub const GO_SYSEXIT_LOCAL: EventType = 40;
    pub const GO_START_LABEL: EventType = 41;
    pub const GO_BLOCK_GC: EventType = 42;
    pub const GC_MARK_ASSIST_START: EventType = 43;
    pub const GC_MARK_ASSIST_DONE: EventType = 44;
    pub const USER_TASK_CREATE: EventType = 45;
    pub const USER_TASK_END: EventType = 46;
    pub const USER_REGION: EventType = 47;
    pub const USER_LOG: EventType = 48;
    pub const CPU_SAMPLE: EventType = 49;
    /// One past the last type.
    pub const COUNT: EventType = 50;
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct EventSpec {
    /// Go's name, as its error messages print it.
    pub name: &'static str,
    /// The first header minor version (`go 1.N`) that has the event.
    pub min_version: u32,
    /// Whether the last argument is a stack ID.
    pub stack: bool,
    /// The arguments after the timestamp (Go's `Args`), without the stack.
    pub args: &'static [&'static str],
}

const fn spec(name: &'static str, min_version: u32, stack: bool, args: &'static [&'static str]) -> EventSpec {
    EventSpec { name, min_version, stack, args }
}

/// The table, indexed by type; row 0 (`None`) is never a valid event.
pub static SPECS: [EventSpec; ev::COUNT as usize] = [
    spec("None", 5, false, &[]),
    spec("Batch", 5, false, &["p", "ticks"]),
    spec("Frequency", 5, false, &["freq"]),
    spec("Stack", 5, false, &["id", "siz"]),
    spec("Gomaxprocs", 5, true, &["procs"]),
    spec("ProcStart", 5, false, &["thread"]),
    spec("ProcStop", 5, false, &[]),
    spec("GCStart", 5, true, &["seq"]),
    spec("GCDone", 5, false, &[]),
    spec("GCSTWStart", 5, false, &["kindid"]),
    spec("GCSTWDone", 5, false, &[]),
    spec("GCSweepStart", 5, true, &[]),
    spec("GCSweepDone", 5, false, &["swept", "reclaimed"]),
    spec("GoCreate", 5, true, &["g", "stack"]),
    spec("GoStart", 5, false, &["g", "seq"]),
    spec("GoEnd", 5, false, &[]),
    spec("GoStop", 5, true, &[]),
    spec("GoSched", 5, true, &[]),
    spec("GoPreempt", 5, true, &[]),
    spec("GoSleep", 5, true, &[]),
    spec("GoBlock", 5, true, &[]),
    spec("GoUnblock", 5, true, &["g", "seq"]),
    spec("GoBlockSend", 5, true, &[]),
    spec("GoBlockRecv", 5, true, &[]),
    spec("GoBlockSelect", 5, true, &[]),
    spec("GoBlockSync", 5, true, &[]),
    spec("GoBlockCond", 5, true, &[]),
    spec("GoBlockNet", 5, true, &[]),
    spec("GoSysCall", 5, true, &[]),
    spec("GoSysExit", 5, false, &["g", "seq", "ts"]),
    spec("GoSysBlock", 5, false, &[]),
    spec("GoWaiting", 5, false, &["g"]),
    spec("GoInSyscall", 5, false, &["g"]),
    spec("HeapAlloc", 5, false, &["mem"]),
    spec("HeapGoal", 5, false, &["mem"]),
    spec("TimerGoroutine", 5, false, &["g"]),
    spec("FutileWakeup", 5, false, &[]),
    spec("String", 7, false, &[]),
    spec("GoStartLocal", 7, false, &["g"]),
    spec("GoUnblockLocal", 7, true, &["g"]),
    spec("GoSysExitLocal", 7, false, &["g", "ts"]),
    spec("GoStartLabel", 8, false, &["g", "seq", "labelid"]),
    spec("GoBlockGC", 8, true, &[]),
    spec("GCMarkAssistStart", 9, true, &[]),
    spec("GCMarkAssistDone", 9, false, &[]),
    spec("UserTaskCreate", 11, true, &["taskid", "pid", "typeid"]),
    spec("UserTaskEnd", 11, true, &["taskid"]),
    spec("UserRegion", 11, true, &["taskid", "mode", "typeid"]),
    spec("UserLog", 11, true, &["id", "keyid"]),
    spec("CPUSample", 19, true, &["ts", "p", "g"]),
];

/// Go 1.21's name for an event type where it differs from Go 1.27's (used in
/// its `go tool trace -d` lines and its errors).
pub fn go121_name(typ: EventType) -> &'static str {
    match typ {
        ev::STW_START => "STWStart",
        ev::STW_DONE => "STWDone",
        _ => SPECS[typ as usize].name,
    }
}

/// Before this header version (`go 1.5`, written by Go 1.5 and 1.6), every
/// event carries a global sequence number before its timestamp, `Batch` has
/// `[p, seq, ticks]`, `Frequency` and `TimerGoroutine` an unused last
/// argument, and a stack is a list of bare PCs (`[id, n, pc...]`).
pub const SEQ_BEFORE_TIME_UNTIL: u32 = 7;

/// One change of an event's argument layout between header versions.
#[derive(Debug, Clone, Copy)]
pub struct LayoutChange {
    /// The event type.
    pub typ: EventType,
    /// The first header minor version with the layout of [`SPECS`].
    pub since: u32,
    /// How many trailing arguments of the [`SPECS`] row the older traces lack
    /// (they read as 0).
    pub missing: usize,
}

/// The layouts older than [`SPECS`]' (Go 1.21's `argNum`).
pub static LAYOUT_CHANGES: [LayoutChange; 5] = [
    // `seq` added in 1.7.
    LayoutChange { typ: ev::GC_START, since: 7, missing: 1 },
    LayoutChange { typ: ev::GO_START, since: 7, missing: 1 },
    LayoutChange { typ: ev::GO_UNBLOCK, since: 7, missing: 1 },
    // `swept` and `reclaimed` added in 1.9.
    LayoutChange { typ: ev::GC_SWEEP_DONE, since: 9, missing: 2 },
    // `kindid` added in 1.10 (before it, every STW reads as kind 0).
    LayoutChange { typ: ev::STW_START, since: 10, missing: 1 },
];

/// How many values an event of type `typ` carries on the wire in a trace of
/// header minor version `ver`, timestamp (and sequence number) and stack
/// included (Go's `argNum`); a stack record's count is its own.
pub fn arg_count(typ: EventType, got: usize, ver: u32) -> usize {
    if typ == ev::STACK {
        return got;
    }
    let s = &SPECS[typ as usize];
    let mut n = s.args.len() + usize::from(s.stack);
    let seq = usize::from(ver < SEQ_BEFORE_TIME_UNTIL);
    if matches!(typ, ev::BATCH | ev::FREQUENCY | ev::TIMER_GOROUTINE) {
        return n + seq;
    }
    for c in &LAYOUT_CHANGES {
        if c.typ == typ && ver < c.since {
            n -= c.missing;
        }
    }
    n + 1 + seq
}

/// The number of leading values of a timed event that are not Go's `Args`
/// (the timestamp, and before [`SEQ_BEFORE_TIME_UNTIL`] the sequence number).
pub fn arg_offset(ver: u32) -> usize {
    1 + usize::from(ver < SEQ_BEFORE_TIME_UNTIL)
}

/// Why the world was stopped, by the kind ID of a `GCSTWStart` (Go's
/// `STWReason`); index 0 is "unknown". Go 1.21 traces carry the runtime's
/// reason enum; earlier ones only 0 (mark termination) and 1 (sweep termination).
pub const STW_REASONS: [&str; 17] = [
    "",
    "GC mark termination",
    "GC sweep termination",
    "write heap dump",
    "goroutine profile",
    "goroutine profile cleanup",
    "all goroutine stack trace",
    "read mem stats",
    "AllThreadsSyscall",
    "GOMAXPROCS",
    "start trace",
    "stop trace",
    "CountPagesInUse (test)",
    "ReadMetricsSlow (test)",
    "ReadMemStatsSlow (test)",
    "PageCachePagesLeaked (test)",
    "ResetDebugLog (test)",
];

/// The index into [`STW_REASONS`] for a kind ID in a trace of this version
/// (before 1.10 traces carry no kind, which reads as 0).
pub fn stw_reason(version: u32, kind: u64) -> usize {
    match version {
        v if v < 21 && kind <= 1 => kind as usize + 1,
        21 if kind < STW_REASONS.len() as u64 => kind as usize,
        _ => 0,
    }
}

/// Fake proc IDs the old parser gives events that happen on no real P.
pub mod fake_p {
    /// Unblocks by the timer goroutine (before Go 1.14).
    pub const TIMER: i32 = 1_000_001;
    /// Unblocks of goroutines that waited on the network.
    pub const NETPOLL: i32 = 1_000_002;
    /// Syscall exits.
    pub const SYSCALL: i32 = 1_000_003;
    /// GC starts.
    pub const GC: i32 = 1_000_004;
    /// CPU profile samples (their batch in the merge).
    pub const PROFILE: i32 = 1_000_005;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_layouts() {
        // go 1.5: a sequence number before the time; GoStart without seq.
        assert_eq!(arg_count(ev::GO_START, 0, 5), 3);
        assert_eq!(arg_count(ev::GO_START, 0, 7), 3);
        assert_eq!(arg_count(ev::GO_UNBLOCK, 0, 5), 4);
        assert_eq!(arg_count(ev::GC_START, 0, 5), 3);
        assert_eq!(arg_count(ev::BATCH, 0, 5), 3);
        assert_eq!(arg_count(ev::FREQUENCY, 0, 5), 2);
        assert_eq!(arg_count(ev::TIMER_GOROUTINE, 0, 7), 1);
        assert_eq!(arg_count(ev::GC_SWEEP_DONE, 0, 8), 1);
        assert_eq!(arg_count(ev::GC_SWEEP_DONE, 0, 9), 3);
        assert_eq!(arg_count(ev::STW_START, 0, 9), 1);
        assert_eq!(arg_count(ev::STW_START, 0, 10), 2);
        assert_eq!(arg_count(ev::GO_SYSEXIT, 0, 5), 5);
        assert_eq!(arg_offset(5), 2);
        assert_eq!(arg_offset(21), 1);
    }
}
