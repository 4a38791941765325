//! The v2 wire-format event table: one row per event type byte.
//!
//! This is data, not code paths. Everything that decodes or validates an
//! event asks this table how many arguments it has and which of them are
//! stack or string IDs, so a new format version is a new table slice, not new
//! parsing logic. The table mirrors `internal/trace/tracev2` of Go 1.27.

/// An event type byte as written on the wire.
pub type EventType = u8;

/// Event type codes of the v2 format (Go 1.22+).
#[allow(missing_docs)]
pub mod ev {
    use super::EventType;
    pub const NONE: EventType = 0;
    pub const EVENT_BATCH: EventType = 1;
    pub const STACKS: EventType = 2;
    pub const STACK: EventType = 3;
    pub const STRINGS: EventType = 4;
    pub const STRING: EventType = 5;
    pub const CPU_SAMPLES: EventType = 6;
    pub const CPU_SAMPLE: EventType = 7;
    pub const FREQUENCY: EventType = 8;
    pub const PROCS_CHANGE: EventType = 9;
    pub const PROC_START: EventType = 10;
    pub const PROC_STOP: EventType = 11;
    pub const PROC_STEAL: EventType = 12;
    pub const PROC_STATUS: EventType = 13;
    pub const GO_CREATE: EventType = 14;
    pub const GO_CREATE_SYSCALL: EventType = 15;
    pub const GO_START: EventType = 16;
    pub const GO_DESTROY: EventType = 17;
    pub const GO_DESTROY_SYSCALL: EventType = 18;
    pub const GO_STOP: EventType = 19;
    pub const GO_BLOCK: EventType = 20;
    pub const GO_UNBLOCK: EventType = 21;
    pub const GO_SYSCALL_BEGIN: EventType = 22;
    pub const GO_SYSCALL_END: EventType = 23;
    pub const GO_SYSCALL_END_BLOCKED: EventType = 24;
    pub const GO_STATUS: EventType = 25;
    pub const STW_BEGIN: EventType = 26;
    pub const STW_END: EventType = 27;
    pub const GC_ACTIVE: EventType = 28;
    pub const GC_BEGIN: EventType = 29;
    pub const GC_END: EventType = 30;
    pub const GC_SWEEP_ACTIVE: EventType = 31;
    pub const GC_SWEEP_BEGIN: EventType = 32;
    pub const GC_SWEEP_END: EventType = 33;
    pub const GC_MARK_ASSIST_ACTIVE: EventType = 34;
    pub const GC_MARK_ASSIST_BEGIN: EventType = 35;
    pub const GC_MARK_ASSIST_END: EventType = 36;
    pub const HEAP_ALLOC: EventType = 37;
    pub const HEAP_GOAL: EventType = 38;
    pub const GO_LABEL: EventType = 39;
    pub const USER_TASK_BEGIN: EventType = 40;
    pub const USER_TASK_END: EventType = 41;
    pub const USER_REGION_BEGIN: EventType = 42;
    pub const USER_REGION_END: EventType = 43;
    pub const USER_LOG: EventType = 44;
    pub const GO_SWITCH: EventType = 45;
    pub const GO_SWITCH_DESTROY: EventType = 46;
    pub const GO_CREATE_BLOCKED: EventType = 47;
    pub const GO_STATUS_STACK: EventType = 48;
    pub const EXPERIMENTAL_BATCH: EventType = 49;
    pub const SYNC: EventType = 50;
    pub const CLOCK_SNAPSHOT: EventType = 51;
    pub const END_OF_GENERATION: EventType = 52;
    /// Experimental event types are above this value.
    pub const MAX_EVENT: EventType = 127;
    pub const SPAN: EventType = 128;
    pub const SPAN_ALLOC: EventType = 129;
    pub const SPAN_FREE: EventType = 130;
    pub const HEAP_OBJECT: EventType = 131;
    pub const HEAP_OBJECT_ALLOC: EventType = 132;
    pub const HEAP_OBJECT_FREE: EventType = 133;
    pub const GOROUTINE_STACK: EventType = 134;
    pub const GOROUTINE_STACK_ALLOC: EventType = 135;
    pub const GOROUTINE_STACK_FREE: EventType = 136;
    /// Not a wire type: the reader's own marker for synthesised Sync events.
    pub const SYNC_MARKER: EventType = 255;
}

/// Experiment IDs carried by experimental batches and events.
pub mod experiment {
    /// Not an experiment.
    pub const NONE: u8 = 0;
    /// `GODEBUG=traceallocfree=1`: heap span, object and stack lifetimes.
    pub const ALLOC_FREE: u8 = 1;
    /// Names as Go spells them, indexed by experiment ID.
    pub const NAMES: [&str; 2] = ["None", "AllocFree"];
}

/// What the wire says about one event type.
#[derive(Debug, Clone, Copy)]
pub struct EventSpec {
    /// Go's name for the wire event, used in error messages.
    pub name: &'static str,
    /// Argument names in wire order; timed events start with `dt`.
    pub args: &'static [&'static str],
    /// 1-based positions in `args` that hold string IDs.
    pub string_ids: &'static [usize],
    /// 1-based positions in `args` that hold stack IDs; the first is the event's own stack.
    pub stack_ids: &'static [usize],
    /// For range ends and actives: the event that begins the range.
    pub start_ev: EventType,
    /// Whether the event lives in an ordinary event batch and carries a time delta.
    pub is_timed: bool,
    /// Experiment the event belongs to (0 for none).
    pub experiment: u8,
}

const fn timed(name: &'static str, args: &'static [&'static str]) -> EventSpec {
    EventSpec { name, args, string_ids: &[], stack_ids: &[], start_ev: ev::NONE, is_timed: true, experiment: 0 }
}

const fn untimed(name: &'static str, args: &'static [&'static str]) -> EventSpec {
    EventSpec { name, args, string_ids: &[], stack_ids: &[], start_ev: ev::NONE, is_timed: false, experiment: 0 }
}

const fn stacks(mut s: EventSpec, ids: &'static [usize]) -> EventSpec {
    s.stack_ids = ids;
    s
}

const fn strings(mut s: EventSpec, ids: &'static [usize]) -> EventSpec {
    s.string_ids = ids;
    s
}

const fn ends(mut s: EventSpec, start: EventType) -> EventSpec {
    s.start_ev = start;
    s
}

const fn alloc_free(name: &'static str, args: &'static [&'static str]) -> EventSpec {
    let mut s = timed(name, args);
    s.experiment = experiment::ALLOC_FREE;
    s
}

const EMPTY: EventSpec = untimed("", &[]);

/// Number of entries in [`SPECS`]: every type byte up to the last experimental event.
pub const NUM_SPECS: usize = ev::GOROUTINE_STACK_FREE as usize + 1;

/// The newest event table, indexed by type byte. Gaps are empty specs.
///
/// Go's high-level reader decodes every version with this full table and only
/// uses the per-version slices ([`specs_for`]) for names in error messages.
pub static SPECS: [EventSpec; NUM_SPECS] = SPEC_TABLE;

/// [`SPECS`] as a constant, for tables derived from it at compile time.
pub(crate) const SPEC_TABLE: [EventSpec; NUM_SPECS] = build_specs();

/// [`TIMED_ARGS`] for a type byte past the end of [`SPECS`].
pub(crate) const INVALID_TYPE: u8 = u8::MAX;
/// [`TIMED_ARGS`] for a type that does not carry a timestamp (or has no spec).
pub(crate) const UNTIMED: u8 = u8::MAX - 1;

/// Per type byte: how many arguments follow a timed event's timestamp, or
/// [`UNTIMED`], or [`INVALID_TYPE`]. Derived from [`SPECS`] so that decoding an
/// event reads one byte instead of a spec.
pub(crate) static TIMED_ARGS: [u8; 256] = {
    let specs = SPEC_TABLE;
    let mut t = [INVALID_TYPE; 256];
    let mut i = 0;
    while i < NUM_SPECS {
        let s = &specs[i];
        t[i] = if s.args.is_empty() || !s.is_timed { UNTIMED } else { (s.args.len() - 1) as u8 };
        i += 1;
    }
    t
};

const fn build_specs() -> [EventSpec; NUM_SPECS] {
    let mut t = [EMPTY; NUM_SPECS];
    t[ev::EVENT_BATCH as usize] = untimed("EventBatch", &["gen", "m", "time", "size"]);
    t[ev::STACKS as usize] = untimed("Stacks", &[]);
    t[ev::STACK as usize] = untimed("Stack", &["id", "nframes"]);
    t[ev::STRINGS as usize] = untimed("Strings", &[]);
    t[ev::STRING as usize] = untimed("String", &["id"]);
    t[ev::CPU_SAMPLES as usize] = untimed("CPUSamples", &[]);
    t[ev::CPU_SAMPLE as usize] = stacks(untimed("CPUSample", &["time", "m", "p", "g", "stack"]), &[4]);
    t[ev::FREQUENCY as usize] = untimed("Frequency", &["freq"]);
    t[ev::PROCS_CHANGE as usize] = stacks(timed("ProcsChange", &["dt", "procs_value", "stack"]), &[2]);
    t[ev::PROC_START as usize] = timed("ProcStart", &["dt", "p", "p_seq"]);
    t[ev::PROC_STOP as usize] = timed("ProcStop", &["dt"]);
    t[ev::PROC_STEAL as usize] = timed("ProcSteal", &["dt", "p", "p_seq", "m"]);
    t[ev::PROC_STATUS as usize] = timed("ProcStatus", &["dt", "p", "pstatus"]);
    t[ev::GO_CREATE as usize] = stacks(timed("GoCreate", &["dt", "new_g", "new_stack", "stack"]), &[3, 2]);
    t[ev::GO_CREATE_SYSCALL as usize] = timed("GoCreateSyscall", &["dt", "new_g"]);
    t[ev::GO_START as usize] = timed("GoStart", &["dt", "g", "g_seq"]);
    t[ev::GO_DESTROY as usize] = timed("GoDestroy", &["dt"]);
    t[ev::GO_DESTROY_SYSCALL as usize] = timed("GoDestroySyscall", &["dt"]);
    t[ev::GO_STOP as usize] = strings(stacks(timed("GoStop", &["dt", "reason_string", "stack"]), &[2]), &[1]);
    t[ev::GO_BLOCK as usize] = strings(stacks(timed("GoBlock", &["dt", "reason_string", "stack"]), &[2]), &[1]);
    t[ev::GO_UNBLOCK as usize] = stacks(timed("GoUnblock", &["dt", "g", "g_seq", "stack"]), &[3]);
    t[ev::GO_SYSCALL_BEGIN as usize] = stacks(timed("GoSyscallBegin", &["dt", "p_seq", "stack"]), &[2]);
    t[ev::GO_SYSCALL_END as usize] = ends(timed("GoSyscallEnd", &["dt"]), ev::GO_SYSCALL_BEGIN);
    t[ev::GO_SYSCALL_END_BLOCKED as usize] = ends(timed("GoSyscallEndBlocked", &["dt"]), ev::GO_SYSCALL_BEGIN);
    t[ev::GO_STATUS as usize] = timed("GoStatus", &["dt", "g", "m", "gstatus"]);
    t[ev::STW_BEGIN as usize] = strings(stacks(timed("STWBegin", &["dt", "kind_string", "stack"]), &[2]), &[1]);
    t[ev::STW_END as usize] = ends(timed("STWEnd", &["dt"]), ev::STW_BEGIN);
    t[ev::GC_ACTIVE as usize] = ends(timed("GCActive", &["dt", "gc_seq"]), ev::GC_BEGIN);
    t[ev::GC_BEGIN as usize] = stacks(timed("GCBegin", &["dt", "gc_seq", "stack"]), &[2]);
    t[ev::GC_END as usize] = ends(timed("GCEnd", &["dt", "gc_seq"]), ev::GC_BEGIN);
    t[ev::GC_SWEEP_ACTIVE as usize] = ends(timed("GCSweepActive", &["dt", "p"]), ev::GC_SWEEP_BEGIN);
    t[ev::GC_SWEEP_BEGIN as usize] = stacks(timed("GCSweepBegin", &["dt", "stack"]), &[1]);
    t[ev::GC_SWEEP_END as usize] =
        ends(timed("GCSweepEnd", &["dt", "swept_value", "reclaimed_value"]), ev::GC_SWEEP_BEGIN);
    t[ev::GC_MARK_ASSIST_ACTIVE as usize] =
        ends(timed("GCMarkAssistActive", &["dt", "g"]), ev::GC_MARK_ASSIST_BEGIN);
    t[ev::GC_MARK_ASSIST_BEGIN as usize] = stacks(timed("GCMarkAssistBegin", &["dt", "stack"]), &[1]);
    t[ev::GC_MARK_ASSIST_END as usize] = ends(timed("GCMarkAssistEnd", &["dt"]), ev::GC_MARK_ASSIST_BEGIN);
    t[ev::HEAP_ALLOC as usize] = timed("HeapAlloc", &["dt", "heapalloc_value"]);
    t[ev::HEAP_GOAL as usize] = timed("HeapGoal", &["dt", "heapgoal_value"]);
    t[ev::GO_LABEL as usize] = strings(timed("GoLabel", &["dt", "label_string"]), &[1]);
    t[ev::USER_TASK_BEGIN as usize] = strings(
        stacks(timed("UserTaskBegin", &["dt", "task", "parent_task", "name_string", "stack"]), &[4]),
        &[3],
    );
    t[ev::USER_TASK_END as usize] = stacks(timed("UserTaskEnd", &["dt", "task", "stack"]), &[2]);
    t[ev::USER_REGION_BEGIN as usize] =
        strings(stacks(timed("UserRegionBegin", &["dt", "task", "name_string", "stack"]), &[3]), &[2]);
    t[ev::USER_REGION_END as usize] = ends(
        strings(stacks(timed("UserRegionEnd", &["dt", "task", "name_string", "stack"]), &[3]), &[2]),
        ev::USER_REGION_BEGIN,
    );
    t[ev::USER_LOG as usize] = strings(
        stacks(timed("UserLog", &["dt", "task", "key_string", "value_string", "stack"]), &[4]),
        &[2, 3],
    );
    t[ev::GO_SWITCH as usize] = timed("GoSwitch", &["dt", "g", "g_seq"]);
    t[ev::GO_SWITCH_DESTROY as usize] = timed("GoSwitchDestroy", &["dt", "g", "g_seq"]);
    t[ev::GO_CREATE_BLOCKED as usize] =
        stacks(timed("GoCreateBlocked", &["dt", "new_g", "new_stack", "stack"]), &[3, 2]);
    t[ev::GO_STATUS_STACK as usize] = stacks(timed("GoStatusStack", &["dt", "g", "m", "gstatus", "stack"]), &[4]);
    t[ev::EXPERIMENTAL_BATCH as usize] = untimed("ExperimentalBatch", &["exp", "gen", "m", "time"]);
    t[ev::SYNC as usize] = untimed("Sync", &[]);
    t[ev::CLOCK_SNAPSHOT as usize] = timed("ClockSnapshot", &["dt", "mono", "sec", "nsec"]);
    t[ev::END_OF_GENERATION as usize] = untimed("EndOfGeneration", &[]);
    t[ev::SPAN as usize] = alloc_free("Span", &["dt", "id", "npages_value", "kindclass"]);
    t[ev::SPAN_ALLOC as usize] = alloc_free("SpanAlloc", &["dt", "id", "npages_value", "kindclass"]);
    t[ev::SPAN_FREE as usize] = alloc_free("SpanFree", &["dt", "id"]);
    t[ev::HEAP_OBJECT as usize] = alloc_free("HeapObject", &["dt", "id", "type"]);
    t[ev::HEAP_OBJECT_ALLOC as usize] = alloc_free("HeapObjectAlloc", &["dt", "id", "type"]);
    t[ev::HEAP_OBJECT_FREE as usize] = alloc_free("HeapObjectFree", &["dt", "id"]);
    t[ev::GOROUTINE_STACK as usize] = alloc_free("GoroutineStack", &["dt", "id", "order"]);
    t[ev::GOROUTINE_STACK_ALLOC as usize] = alloc_free("GoroutineStackAlloc", &["dt", "id", "order"]);
    t[ev::GOROUTINE_STACK_FREE as usize] = alloc_free("GoroutineStackFree", &["dt", "id"]);
    t
}

/// The spec of a type byte, or `None` past the end of the table.
#[inline]
pub fn spec(typ: EventType) -> Option<&'static EventSpec> {
    SPECS.get(typ as usize)
}

/// Largest number of arguments after `dt` that a timed event carries.
pub const MAX_TIMED_ARGS: usize = 4;
/// Largest batch payload the runtime writes.
pub const MAX_BATCH_SIZE: u64 = 64 << 10;
/// Largest number of frames in one stack record.
pub const MAX_FRAMES_PER_STACK: u64 = 128;
/// Largest string record.
pub const MAX_STRING_SIZE: u64 = 1 << 10;

/// Goroutine status values on the wire.
#[allow(missing_docs)]
pub mod gstatus {
    pub const BAD: u64 = 0;
    pub const RUNNABLE: u64 = 1;
    pub const RUNNING: u64 = 2;
    pub const SYSCALL: u64 = 3;
    pub const WAITING: u64 = 4;
    /// Go's spelling of a status value, for error messages.
    pub fn name(s: u64) -> &'static str {
        match s {
            RUNNABLE => "Runnable",
            RUNNING => "Running",
            SYSCALL => "Syscall",
            WAITING => "Waiting",
            _ => "Bad",
        }
    }
}

/// Proc status values on the wire.
#[allow(missing_docs)]
pub mod pstatus {
    pub const BAD: u64 = 0;
    pub const RUNNING: u64 = 1;
    pub const IDLE: u64 = 2;
    pub const SYSCALL: u64 = 3;
    pub const SYSCALL_ABANDONED: u64 = 4;
    /// Go's spelling of a status value, for error messages.
    pub fn name(s: u64) -> &'static str {
        match s {
            RUNNING => "Running",
            IDLE => "Idle",
            SYSCALL => "Syscall",
            SYSCALL_ABANDONED => "SyscallAbandoned",
            _ => "Bad",
        }
    }
}
