//! The public event model, the same one Go's `internal/trace` exposes.
//!
//! An [`Event`] is small and cheap to clone: a few integers plus a shared
//! pointer to its generation's tables. Accessors decode the details (a state
//! transition, a range, a task...) on demand, so a consumer that only counts
//! events never pays for strings or stacks.

use crate::order::BaseEvent;
use crate::shared::TableRef;
use crate::table::EvTable;
use crate::wire::spec::{ev, experiment, gstatus, pstatus, SPECS};

/// Goroutine ID; [`NO_GOROUTINE`] for none.
pub type GoId = i64;
/// Proc (P) ID; [`NO_PROC`] for none.
pub type ProcId = i64;
/// Thread (M) ID; [`NO_THREAD`] for none.
pub type ThreadId = i64;
/// User task ID.
pub type TaskId = u64;

/// No goroutine.
pub const NO_GOROUTINE: GoId = -1;
/// No proc.
pub const NO_PROC: ProcId = -1;
/// No thread.
pub const NO_THREAD: ThreadId = -1;
/// No task (a task without a parent has this parent).
pub const NO_TASK: TaskId = u64::MAX;
/// The background task, to which annotations outside any task belong.
pub const BACKGROUND_TASK: TaskId = 0;

/// The scheduling context an event happened in, as it was *before* the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedCtx {
    /// Running goroutine.
    pub g: GoId,
    /// Proc held by the thread.
    pub p: ProcId,
    /// Thread.
    pub m: ThreadId,
}

/// What an event is about; the same kinds, in the same order, as Go's `EventKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum EventKind {
    Bad,
    Sync,
    Metric,
    Label,
    StackSample,
    RangeBegin,
    RangeActive,
    RangeEnd,
    TaskBegin,
    TaskEnd,
    RegionBegin,
    RegionEnd,
    Log,
    StateTransition,
    Experimental,
}

impl EventKind {
    /// Every kind, in Go's order.
    pub const ALL: [EventKind; 15] = [
        EventKind::Bad,
        EventKind::Sync,
        EventKind::Metric,
        EventKind::Label,
        EventKind::StackSample,
        EventKind::RangeBegin,
        EventKind::RangeActive,
        EventKind::RangeEnd,
        EventKind::TaskBegin,
        EventKind::TaskEnd,
        EventKind::RegionBegin,
        EventKind::RegionEnd,
        EventKind::Log,
        EventKind::StateTransition,
        EventKind::Experimental,
    ];

    /// Go's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Bad => "Bad",
            EventKind::Sync => "Sync",
            EventKind::Metric => "Metric",
            EventKind::Label => "Label",
            EventKind::StackSample => "StackSample",
            EventKind::RangeBegin => "RangeBegin",
            EventKind::RangeActive => "RangeActive",
            EventKind::RangeEnd => "RangeEnd",
            EventKind::TaskBegin => "TaskBegin",
            EventKind::TaskEnd => "TaskEnd",
            EventKind::RegionBegin => "RegionBegin",
            EventKind::RegionEnd => "RegionEnd",
            EventKind::Log => "Log",
            EventKind::StateTransition => "StateTransition",
            EventKind::Experimental => "Experimental",
        }
    }

    /// The kind of a wire type (a table lookup: this runs for every event).
    #[inline]
    fn of(typ: u8) -> EventKind {
        KINDS[typ as usize]
    }

    const fn of_type(typ: u8) -> EventKind {
        use EventKind as K;
        match typ {
            ev::CPU_SAMPLE => K::StackSample,
            ev::PROCS_CHANGE | ev::HEAP_ALLOC | ev::HEAP_GOAL => K::Metric,
            ev::PROC_START
            | ev::PROC_STOP
            | ev::PROC_STEAL
            | ev::PROC_STATUS
            | ev::GO_CREATE
            | ev::GO_CREATE_SYSCALL
            | ev::GO_START
            | ev::GO_DESTROY
            | ev::GO_DESTROY_SYSCALL
            | ev::GO_STOP
            | ev::GO_BLOCK
            | ev::GO_UNBLOCK
            | ev::GO_SYSCALL_BEGIN
            | ev::GO_SYSCALL_END
            | ev::GO_SYSCALL_END_BLOCKED
            | ev::GO_STATUS
            | ev::GO_SWITCH
            | ev::GO_SWITCH_DESTROY
            | ev::GO_CREATE_BLOCKED
            | ev::GO_STATUS_STACK => K::StateTransition,
            ev::STW_BEGIN | ev::GC_BEGIN | ev::GC_SWEEP_BEGIN | ev::GC_MARK_ASSIST_BEGIN => K::RangeBegin,
            ev::STW_END | ev::GC_END | ev::GC_SWEEP_END | ev::GC_MARK_ASSIST_END => K::RangeEnd,
            ev::GC_ACTIVE | ev::GC_SWEEP_ACTIVE | ev::GC_MARK_ASSIST_ACTIVE => K::RangeActive,
            ev::GO_LABEL => K::Label,
            ev::USER_TASK_BEGIN => K::TaskBegin,
            ev::USER_TASK_END => K::TaskEnd,
            ev::USER_REGION_BEGIN => K::RegionBegin,
            ev::USER_REGION_END => K::RegionEnd,
            ev::USER_LOG => K::Log,
            ev::SPAN..=ev::GOROUTINE_STACK_FREE => K::Experimental,
            ev::SYNC_MARKER => K::Sync,
            _ => K::Bad,
        }
    }
}

/// [`EventKind::of_type`] for every type byte.
static KINDS: [EventKind; 256] = {
    let mut t = [EventKind::Bad; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = EventKind::of_type(i as u8);
        i += 1;
    }
    t
};

/// The stack and string ID positions of each spec, readable in const context.
const SPEC_IDS: [(&[usize], &[usize]); crate::wire::spec::NUM_SPECS] = {
    let mut t: [(&[usize], &[usize]); crate::wire::spec::NUM_SPECS] = [(&[], &[]); crate::wire::spec::NUM_SPECS];
    let mut i = 0;
    while i < t.len() {
        let s = &crate::wire::spec::SPEC_TABLE[i];
        t[i] = (s.stack_ids, s.string_ids);
        i += 1;
    }
    t
};

/// No argument of this kind (in [`IdArgs`]): indexes a zero past `args`.
const NO_ARG: u8 = 4;

/// Where a type's IDs are: the position in `args` of its stack IDs (up to
/// two) and of its string ID, or [`NO_ARG`]; `more` for types with more than
/// that (none in today's spec; checked on the slow path).
#[derive(Clone, Copy)]
struct IdArgs {
    stack: u8,
    /// A second stack (GoCreate's: the new goroutine's start, and its creator's).
    stack2: u8,
    string: u8,
    more: bool,
}

/// [`IdArgs`] of every type byte, derived from the spec table.
static ID_ARGS: [IdArgs; 256] = {
    let mut t = [IdArgs { stack: NO_ARG, stack2: NO_ARG, string: NO_ARG, more: false }; 256];
    let mut i = 0;
    while i < SPEC_IDS.len() {
        let (stacks, strings) = SPEC_IDS[i];
        if !stacks.is_empty() {
            t[i].stack = (stacks[0] - 1) as u8;
        }
        if stacks.len() > 1 {
            t[i].stack2 = (stacks[1] - 1) as u8;
        }
        if !strings.is_empty() {
            t[i].string = (strings[0] - 1) as u8;
        }
        t[i].more = stacks.len() > 2 || strings.len() > 1;
        i += 1;
    }
    t
};

/// Checks that every stack and string ID the event names exists in its generation.
///
/// The common case is answered from the tables' ID bitsets without a branch
/// on the event's type (a type without a stack or string checks ID 0, which
/// always exists); anything else takes the exact, slower path.
#[inline]
pub(crate) fn validate_table_ids(t: &EvTable<'_>, base: &BaseEvent) -> Result<(), crate::Error> {
    let ids = ID_ARGS[base.typ as usize];
    let a = [base.args[0], base.args[1], base.args[2], base.args[3], 0, 0, 0, 0];
    let ok = !ids.more
        & t.stack_bits.has(a[ids.stack as usize & 7])
        & t.stack_bits.has(a[ids.stack2 as usize & 7])
        & t.string_bits.has(a[ids.string as usize & 7]);
    if ok {
        Ok(())
    } else {
        validate_slow(t, base)
    }
}

/// [`validate_table_ids`] against the tables themselves.
#[cold]
#[inline(never)]
fn validate_slow(t: &EvTable<'_>, base: &BaseEvent) -> Result<(), crate::Error> {
    let Some(&(stacks, strings)) = SPEC_IDS.get(base.typ as usize) else { return Ok(()) };
    let ok = stacks.iter().all(|&i| t.has_stack(base.args[i - 1]))
        && strings.iter().all(|&i| t.has_string(base.args[i - 1]));
    if ok {
        Ok(())
    } else {
        Err(invalid_id(t, base))
    }
}

/// The error for an event naming a missing ID: the first one in the spec's order
/// (stacks, then strings), as Go reports it.
#[cold]
#[inline(never)]
fn invalid_id(t: &EvTable<'_>, base: &BaseEvent) -> crate::Error {
    let (stacks, strings) = SPEC_IDS[base.typ as usize];
    let name = SPECS[base.typ as usize].name;
    for &i in stacks {
        let id = base.args[i - 1];
        if !t.has_stack(id) {
            return crate::Error::new(format!("found invalid stack ID {id} for event {name}"));
        }
    }
    for &i in strings {
        let id = base.args[i - 1];
        if !t.has_string(id) {
            return crate::Error::new(format!("found invalid string ID {id} for event {name}"));
        }
    }
    crate::Error::new("internal error: no invalid ID found")
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Goroutine states as consumers see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum GoState {
    Undetermined = 0,
    NotExist = 1,
    Runnable = 2,
    Running = 3,
    Waiting = 4,
    Syscall = 5,
}

impl GoState {
    fn from_u64(v: u64) -> Option<GoState> {
        Some(match v {
            0 => GoState::Undetermined,
            1 => GoState::NotExist,
            2 => GoState::Runnable,
            3 => GoState::Running,
            4 => GoState::Waiting,
            5 => GoState::Syscall,
            _ => return None,
        })
    }
    /// Running or in a syscall: bound to a thread.
    pub fn executing(self) -> bool {
        matches!(self, GoState::Running | GoState::Syscall)
    }
    /// Go's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            GoState::Undetermined => "Undetermined",
            GoState::NotExist => "NotExist",
            GoState::Runnable => "Runnable",
            GoState::Running => "Running",
            GoState::Waiting => "Waiting",
            GoState::Syscall => "Syscall",
        }
    }
}

/// Proc states as consumers see them (a proc in a syscall is Running).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ProcState {
    Undetermined = 0,
    NotExist = 1,
    Running = 2,
    Idle = 3,
}

impl ProcState {
    fn from_u64(v: u64) -> Option<ProcState> {
        Some(match v {
            0 => ProcState::Undetermined,
            1 => ProcState::NotExist,
            2 => ProcState::Running,
            3 => ProcState::Idle,
            _ => return None,
        })
    }
    /// Go's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcState::Undetermined => "Undetermined",
            ProcState::NotExist => "NotExist",
            ProcState::Running => "Running",
            ProcState::Idle => "Idle",
        }
    }
}

/// What a range, label or transition is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// Nothing in particular (the GC mark phase is global).
    None,
    /// A goroutine.
    Goroutine(GoId),
    /// A proc.
    Proc(ProcId),
    /// A thread.
    Thread(ThreadId),
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::None => f.write_str("None"),
            Resource::Goroutine(id) => write!(f, "Goroutine({id})"),
            Resource::Proc(id) => write!(f, "Proc({id})"),
            Resource::Thread(id) => write!(f, "Thread({id})"),
        }
    }
}

/// The "from → to" of a state transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// A goroutine changed state.
    Goroutine {
        /// The goroutine.
        id: GoId,
        /// State before.
        from: GoState,
        /// State after.
        to: GoState,
    },
    /// A proc changed state.
    Proc {
        /// The proc.
        id: ProcId,
        /// State before.
        from: ProcState,
        /// State after.
        to: ProcState,
    },
}

/// A state transition with its reason and the stack of the transitioning goroutine.
#[derive(Debug, Clone)]
pub struct StateTransition<'e, 'a> {
    /// Which resource moved, and between which states.
    pub transition: Transition,
    /// Why (for GoStop and GoBlock: "preempted", "chan receive", ...), empty otherwise.
    pub reason: &'a [u8],
    /// The transitioning goroutine's stack, when the wire carried one.
    pub stack: Stack<'e, 'a>,
}

/// One frame of a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Program counter.
    pub pc: u64,
    /// Function name (raw bytes: not guaranteed UTF-8).
    pub func: &'a [u8],
    /// File name.
    pub file: &'a [u8],
    /// Line number.
    pub line: u64,
}

/// A call stack, leaf first; resolves frames through its generation's table.
#[derive(Debug, Clone, Copy)]
pub struct Stack<'e, 'a> {
    table: Option<&'e EvTable<'a>>,
    id: u64,
}

impl<'e, 'a> Stack<'e, 'a> {
    /// The empty stack.
    pub const NONE: Stack<'static, 'static> = Stack { table: None, id: 0 };

    fn none() -> Self {
        Stack { table: None, id: 0 }
    }

    /// True for "no stack" (as opposed to a known stack that happens to be empty).
    pub fn is_none(&self) -> bool {
        self.table.is_none()
    }

    /// The stack's ID in its generation (0 for none).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The frames, leaf first.
    pub fn frames(&self) -> impl Iterator<Item = Frame<'a>> + 'e {
        let table = self.table;
        let pcs: &'e [u64] = match table {
            Some(t) if self.id != 0 => t.stack(self.id).unwrap_or(&[]),
            _ => &[],
        };
        pcs.iter().map(move |&pc| {
            let t = table.expect("frames only come from a table");
            match t.frame(pc) {
                Some(f) => Frame {
                    pc: f.pc,
                    func: t.string(f.func).unwrap_or(b""),
                    file: t.string(f.file).unwrap_or(b""),
                    line: f.line,
                },
                None => Frame { pc: 0, func: b"", file: b"", line: 0 },
            }
        })
    }
}

/// A metric sample (GOMAXPROCS, heap live bytes, heap goal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// Go's runtime/metrics-style name.
    pub name: &'static str,
    /// The value.
    pub value: u64,
}

/// A range: GC mark phase, sweep, mark assist, stop-the-world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range<'a> {
    /// Name as Go spells it; STW ranges carry their kind in parentheses.
    pub name: RangeName<'a>,
    /// What the range is about.
    pub scope: Resource,
}

/// The name of a range (kept in pieces so no string is built to read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeName<'a> {
    /// `stop-the-world (<kind>)`.
    StopTheWorld(&'a [u8]),
    /// `GC concurrent mark phase`.
    GcMark,
    /// `GC incremental sweep`.
    GcSweep,
    /// `GC mark assist`.
    GcMarkAssist,
}

impl RangeName<'_> {
    /// The full name as Go prints it.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            RangeName::StopTheWorld(kind) => {
                let mut v = b"stop-the-world (".to_vec();
                v.extend_from_slice(kind);
                v.push(b')');
                v
            }
            RangeName::GcMark => b"GC concurrent mark phase".to_vec(),
            RangeName::GcSweep => b"GC incremental sweep".to_vec(),
            RangeName::GcMarkAssist => b"GC mark assist".to_vec(),
        }
    }
}

/// A user task (runtime/trace.NewTask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Task<'a> {
    /// Task ID.
    pub id: TaskId,
    /// Parent task, or [`NO_TASK`].
    pub parent: TaskId,
    /// Task type (its name), possibly empty if the begin was not traced.
    pub kind: &'a [u8],
}

/// A user region (runtime/trace.StartRegion / WithRegion).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region<'a> {
    /// Enclosing task.
    pub task: TaskId,
    /// Region type (its name).
    pub kind: &'a [u8],
}

/// A user log message (runtime/trace.Log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Log<'a> {
    /// Enclosing task.
    pub task: TaskId,
    /// Category (key).
    pub category: &'a [u8],
    /// Message.
    pub message: &'a [u8],
}

/// A clock snapshot (1.25+): the same instant on the trace, monotonic and wall clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSnapshot {
    /// Trace time in ns.
    pub trace: i64,
    /// Wall clock: seconds since the Unix epoch (as written, before normalisation).
    pub wall_sec: i64,
    /// Wall clock: nanoseconds (as written).
    pub wall_nsec: i64,
    /// Runtime monotonic clock in ns.
    pub mono: u64,
}

/// A generation boundary.
#[derive(Debug, Clone)]
pub struct Sync<'e, 'a> {
    /// 1-based count of Sync events so far.
    pub n: u64,
    /// The clock snapshot of the generation that begins here (1.25+).
    pub clock_snapshot: Option<ClockSnapshot>,
    /// Experimental batches of the generation that begins here, by experiment name.
    pub experimental_batches: Vec<(&'static str, &'e [crate::table::ExperimentalBatch<'a>])>,
}

/// An event of an experiment (e.g. AllocFree heap events).
#[derive(Debug, Clone)]
pub struct Experimental {
    /// Event name.
    pub name: &'static str,
    /// Experiment name.
    pub experiment: &'static str,
    /// Argument names and values.
    pub args: Vec<(&'static str, u64)>,
}

/// One event, in the order and with the values Go's reader gives.
#[derive(Clone)]
pub struct Event<'a> {
    pub(crate) table: Option<TableRef<'a>>,
    pub(crate) ctx: SchedCtx,
    pub(crate) base: BaseEvent,
    /// Task type for TaskEnd events, possibly from an earlier generation.
    pub(crate) name: &'a [u8],
}

impl std::fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl<'a> Event<'a> {
    pub(crate) fn new(table: Option<TableRef<'a>>, ctx: SchedCtx, base: BaseEvent, name: &'a [u8]) -> Self {
        Event { table, ctx, base, name }
    }

    pub(crate) fn sync(table: Option<TableRef<'a>>, time: i64, n: u64) -> Self {
        Event {
            table,
            ctx: SchedCtx { g: NO_GOROUTINE, p: NO_PROC, m: NO_THREAD },
            base: BaseEvent { typ: ev::SYNC_MARKER, time, args: [n, 0, 0, 0] },
            name: b"",
        }
    }

    /// What the event is about.
    #[inline]
    pub fn kind(&self) -> EventKind {
        EventKind::of(self.base.typ)
    }

    /// The wire event type it came from (255 for Sync); useful for fine-grained statistics.
    #[inline]
    pub fn wire_type(&self) -> u8 {
        self.base.typ
    }

    /// Time in nanoseconds on the trace clock; strictly increasing along the stream.
    #[inline]
    pub fn time(&self) -> i64 {
        self.base.time
    }

    /// Goroutine running when the event happened (before it).
    #[inline]
    pub fn goroutine(&self) -> GoId {
        self.ctx.g
    }

    /// Proc held by the thread when the event happened.
    #[inline]
    pub fn proc(&self) -> ProcId {
        self.ctx.p
    }

    /// Thread the event happened on.
    #[inline]
    pub fn thread(&self) -> ThreadId {
        self.ctx.m
    }

    fn string(&self, id: u64) -> &'a [u8] {
        match &self.table {
            Some(t) => t.string(id).unwrap_or(b""),
            None => b"",
        }
    }

    fn stack_at(&self, id: u64) -> Stack<'_, 'a> {
        match &self.table {
            Some(t) => Stack { table: Some(t), id },
            None => Stack::none(),
        }
    }

    /// The stack of the current goroutine at the event (none if not recorded).
    pub fn stack(&self) -> Stack<'_, 'a> {
        let typ = self.base.typ;
        if typ == ev::SYNC_MARKER {
            return Stack::none();
        }
        if typ == ev::CPU_SAMPLE {
            return self.stack_at(self.base.args[0]);
        }
        let spec = &SPECS[typ as usize];
        let Some(&i) = spec.stack_ids.first() else { return Stack::none() };
        let id = self.base.args[i - 1];
        if id == 0 {
            return Stack::none();
        }
        self.stack_at(id)
    }

    /// Metric details; `None` unless the kind is Metric.
    pub fn metric(&self) -> Option<Metric> {
        let name = match self.base.typ {
            ev::PROCS_CHANGE => "/sched/gomaxprocs:threads",
            ev::HEAP_ALLOC => "/memory/classes/heap/objects:bytes",
            ev::HEAP_GOAL => "/gc/heap/goal:bytes",
            _ => return None,
        };
        Some(Metric { name, value: self.base.args[0] })
    }

    /// Label details (label text, goroutine); `None` unless the kind is Label.
    pub fn label(&self) -> Option<(&'a [u8], Resource)> {
        (self.base.typ == ev::GO_LABEL).then(|| (self.string(self.base.args[0]), Resource::Goroutine(self.ctx.g)))
    }

    /// Range details; `None` unless the kind is a range kind.
    pub fn range(&self) -> Option<Range<'a>> {
        let a = self.base.args;
        Some(match self.base.typ {
            ev::STW_BEGIN | ev::STW_END => Range {
                name: RangeName::StopTheWorld(self.string(a[0])),
                scope: Resource::Goroutine(self.ctx.g),
            },
            ev::GC_BEGIN | ev::GC_ACTIVE | ev::GC_END => Range { name: RangeName::GcMark, scope: Resource::None },
            ev::GC_SWEEP_ACTIVE => Range { name: RangeName::GcSweep, scope: Resource::Proc(a[0] as i64) },
            ev::GC_SWEEP_BEGIN | ev::GC_SWEEP_END => {
                Range { name: RangeName::GcSweep, scope: Resource::Proc(self.ctx.p) }
            }
            ev::GC_MARK_ASSIST_ACTIVE => {
                Range { name: RangeName::GcMarkAssist, scope: Resource::Goroutine(a[0] as i64) }
            }
            ev::GC_MARK_ASSIST_BEGIN | ev::GC_MARK_ASSIST_END => {
                Range { name: RangeName::GcMarkAssist, scope: Resource::Goroutine(self.ctx.g) }
            }
            _ => return None,
        })
    }

    /// Attributes of a range end: bytes swept and reclaimed for sweeps, nothing otherwise.
    pub fn range_attributes(&self) -> Vec<(&'static str, u64)> {
        if self.base.typ != ev::GC_SWEEP_END {
            return Vec::new();
        }
        vec![("bytes swept", self.base.args[0]), ("bytes reclaimed", self.base.args[1])]
    }

    /// Task details; `None` unless the kind is TaskBegin or TaskEnd.
    pub fn task(&self) -> Option<Task<'a>> {
        let a = self.base.args;
        match self.base.typ {
            ev::USER_TASK_BEGIN => Some(Task { id: a[0], parent: a[1], kind: self.string(a[2]) }),
            ev::USER_TASK_END => Some(Task { id: a[0], parent: a[2], kind: self.name }),
            _ => None,
        }
    }

    /// Region details; `None` unless the kind is RegionBegin or RegionEnd.
    pub fn region(&self) -> Option<Region<'a>> {
        matches!(self.base.typ, ev::USER_REGION_BEGIN | ev::USER_REGION_END)
            .then(|| Region { task: self.base.args[0], kind: self.string(self.base.args[1]) })
    }

    /// Log details; `None` unless the kind is Log.
    pub fn log(&self) -> Option<Log<'a>> {
        (self.base.typ == ev::USER_LOG).then(|| Log {
            task: self.base.args[0],
            category: self.string(self.base.args[1]),
            message: self.string(self.base.args[2]),
        })
    }

    /// The state transition; `None` unless the kind is StateTransition.
    ///
    /// Inlined into callers in other crates natively: returned through
    /// memory, the transition was written field by field and read back
    /// whole, a store-forwarding stall on every transition (the table
    /// builder's load, 4% of the default report). Not in wasm, whose module
    /// has a size budget.
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub fn state_transition(&self) -> Option<StateTransition<'_, 'a>> {
        let a = self.base.args;
        let g = |id: i64, from, to| Transition::Goroutine { id, from, to };
        let p = |id: i64, from, to| Transition::Proc { id, from, to };
        let mut reason: &'a [u8] = b"";
        let mut stack = Stack::none();
        let transition = match self.base.typ {
            ev::PROC_START => p(a[0] as i64, ProcState::Idle, ProcState::Running),
            ev::PROC_STOP => p(self.ctx.p, ProcState::Running, ProcState::Idle),
            ev::PROC_STEAL => {
                let before =
                    if a[3] == pstatus::SYSCALL_ABANDONED { ProcState::Idle } else { ProcState::Running };
                p(a[0] as i64, before, ProcState::Idle)
            }
            ev::PROC_STATUS => {
                let to = match a[1] {
                    pstatus::RUNNING | pstatus::SYSCALL => ProcState::Running,
                    pstatus::IDLE | pstatus::SYSCALL_ABANDONED => ProcState::Idle,
                    _ => ProcState::Undetermined,
                };
                p(a[0] as i64, ProcState::from_u64(a[2]).unwrap_or(ProcState::Undetermined), to)
            }
            ev::GO_CREATE | ev::GO_CREATE_BLOCKED => {
                let to = if self.base.typ == ev::GO_CREATE_BLOCKED { GoState::Waiting } else { GoState::Runnable };
                // Go keeps the table even for stack ID 0, so an empty transition stack still prints.
                stack = self.stack_at(a[1]);
                g(a[0] as i64, GoState::NotExist, to)
            }
            ev::GO_CREATE_SYSCALL => g(a[0] as i64, GoState::NotExist, GoState::Syscall),
            ev::GO_START => g(a[0] as i64, GoState::Runnable, GoState::Running),
            ev::GO_DESTROY => g(self.ctx.g, GoState::Running, GoState::NotExist),
            ev::GO_DESTROY_SYSCALL => g(self.ctx.g, GoState::Syscall, GoState::NotExist),
            ev::GO_STOP | ev::GO_BLOCK => {
                let to = if self.base.typ == ev::GO_STOP { GoState::Runnable } else { GoState::Waiting };
                reason = self.string(a[0]);
                stack = self.stack();
                g(self.ctx.g, GoState::Running, to)
            }
            ev::GO_UNBLOCK | ev::GO_SWITCH | ev::GO_SWITCH_DESTROY => {
                g(a[0] as i64, GoState::Waiting, GoState::Runnable)
            }
            ev::GO_SYSCALL_BEGIN => {
                stack = self.stack();
                g(self.ctx.g, GoState::Running, GoState::Syscall)
            }
            ev::GO_SYSCALL_END => g(self.ctx.g, GoState::Syscall, GoState::Running),
            ev::GO_SYSCALL_END_BLOCKED => g(self.ctx.g, GoState::Syscall, GoState::Runnable),
            ev::GO_STATUS | ev::GO_STATUS_STACK => {
                let packed = a[2];
                let from = GoState::from_u64(packed >> 32).unwrap_or(GoState::Undetermined);
                let to = match packed & 0xffff_ffff {
                    gstatus::RUNNABLE => GoState::Runnable,
                    gstatus::RUNNING => GoState::Running,
                    gstatus::WAITING => GoState::Waiting,
                    gstatus::SYSCALL => GoState::Syscall,
                    _ => GoState::Undetermined,
                };
                stack = self.stack();
                g(a[0] as i64, from, to)
            }
            _ => return None,
        };
        Some(StateTransition { transition, reason, stack })
    }

    /// Sync details; `None` unless the kind is Sync.
    pub fn sync_info(&self) -> Option<Sync<'_, 'a>> {
        if self.base.typ != ev::SYNC_MARKER {
            return None;
        }
        let mut s = Sync { n: self.base.args[0], clock_snapshot: None, experimental_batches: Vec::new() };
        if let Some(t) = &self.table {
            for (exp, batches) in &t.exp_batches {
                let name = experiment::NAMES.get(*exp as usize).copied().unwrap_or("");
                s.experimental_batches.push((name, batches.as_slice()));
            }
            if let Some(c) = t.clock {
                s.clock_snapshot = Some(ClockSnapshot {
                    trace: t.ticks_to_ns(c.ticks),
                    wall_sec: c.sec as i64,
                    wall_nsec: c.nsec as i64,
                    mono: c.mono,
                });
            }
        }
        Some(s)
    }

    /// Experimental event details; `None` unless the kind is Experimental.
    pub fn experimental(&self) -> Option<Experimental> {
        if self.kind() != EventKind::Experimental {
            return None;
        }
        let spec = &SPECS[self.base.typ as usize];
        let names = &spec.args[1..];
        Some(Experimental {
            name: spec.name,
            experiment: experiment::NAMES.get(spec.experiment as usize).copied().unwrap_or(""),
            args: names.iter().zip(self.base.args.iter()).map(|(n, v)| (*n, *v)).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{RawFrame, StackRef};

    /// A table in which IDs 1 and `far` resolve to strings, 2 and `far` to stacks.
    fn table(far: u64) -> EvTable<'static> {
        let mut t = EvTable { freq: 1.0, ..EvTable::default() };
        t.strings.insert(1, b"one").unwrap();
        t.strings.insert(far, b"far").unwrap();
        t.stack_pcs = vec![0x10, 0x20];
        t.stacks.insert(2, StackRef { start: 0, len: 1 }).unwrap();
        t.stacks.insert(far, StackRef { start: 0, len: 2 }).unwrap();
        t.pcs.insert(0x10, RawFrame { pc: 0x10, func: 1, file: 1, line: 7 });
        t.pcs.insert(0x20, RawFrame { pc: 0x20, func: 1, file: far, line: 9 });
        t.stacks.compactify();
        t.strings.compactify();
        t.stack_bits = crate::table::IdBits::of(&t.stacks);
        t.string_bits = crate::table::IdBits::of(&t.strings);
        t
    }

    /// The bitset check agrees with the exact one (same result, same error) for
    /// every type, on dense tables and on sparse ones.
    #[test]
    fn fast_id_check_matches_exact_one() {
        for far in [3, 100, 1 << 40] {
            let t = table(far);
            let ids = [0, 1, 2, 3, far, far + 1, u64::MAX];
            for typ in 0..crate::wire::spec::NUM_SPECS as u8 {
                for a in ids {
                    for b in ids {
                        for args in [[a, b, a, b], [b, a, b, a], [a, a, b, b], [b, b, a, a]] {
                            let base = BaseEvent { typ, time: 1, args };
                            let fast = validate_table_ids(&t, &base).map_err(|e| e.to_string());
                            let exact = validate_slow(&t, &base).map_err(|e| e.to_string());
                            assert_eq!(fast, exact, "type {typ} args {args:?} far {far}");
                        }
                    }
                }
            }
        }
    }

    /// The kind table is the match it was built from.
    #[test]
    fn kind_table_matches() {
        for typ in 0..=255u8 {
            assert_eq!(EventKind::of(typ), EventKind::of_type(typ));
        }
    }
}
