//! The per-goroutine event lists regiongraph works on, built from our events.
//!
//! regiongraph reads Go ≤ 1.21's old event model (`GoStart`, `GoBlockNet`,
//! `GoSysBlock`, … with a `Link` from each event to the one it caused). We
//! rebuild that view from any trace:
//! - **old format** (Go ≤ 1.21): the reader converts old events into the new
//!   model, moving events that share a time 1 ns apart and dropping
//!   `GoSysBlock`. [`Collector::old_format`] takes the old events as Go 1.21
//!   parsed them ([`gotrace::v1::go121_each`]: type, time, goroutine,
//!   arguments) and the stacks from the converted stream, walking both in
//!   step, so times and events are regiongraph's own;
//! - **new format** (Go 1.22+): each event maps to its old counterpart
//!   (`GoBlock` by its reason, `GoStop` by preempted or not, a syscall that
//!   lost its P gets `GoSysBlock` when the P was stolen, `GoSysExit` at its
//!   end, the first status of a goroutine its `GoWaiting`/`GoInSyscall`).
//!
//! Then [`Collector::finish`] links events as Go 1.21's parser does
//! (`postProcessTrace`): a create or unblock to the goroutine's next start, a
//! block to the unblock that ended it, and gives a goroutine's first start
//! its creation stack.

use std::collections::HashMap;

use gotrace::wire::spec::ev;
use gotrace::{Event, EventKind, GoState, Transition};

/// Old-model event types regiongraph distinguishes (Go 1.21's names); the
/// rest are `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum GKind {
    GoCreate,
    GoStart,
    GoStartLabel,
    GoEnd,
    GoStop,
    GoSched,
    GoPreempt,
    GoSleep,
    GoBlock,
    GoBlockSend,
    GoBlockRecv,
    GoBlockSelect,
    GoBlockSync,
    GoBlockCond,
    GoBlockNet,
    GoBlockGC,
    GoUnblock,
    GoSysCall,
    GoSysExit,
    GoSysBlock,
    GoWaiting,
    GoInSyscall,
    GCMarkAssistStart,
    GCMarkAssistDone,
    Other,
}

impl GKind {
    /// Every kind with its name, for the pattern language.
    pub const ALL: [(&'static str, GKind); 25] = [
        ("GoCreate", GKind::GoCreate),
        ("GoStart", GKind::GoStart),
        ("GoStartLabel", GKind::GoStartLabel),
        ("GoEnd", GKind::GoEnd),
        ("GoStop", GKind::GoStop),
        ("GoSched", GKind::GoSched),
        ("GoPreempt", GKind::GoPreempt),
        ("GoSleep", GKind::GoSleep),
        ("GoBlock", GKind::GoBlock),
        ("GoBlockSend", GKind::GoBlockSend),
        ("GoBlockRecv", GKind::GoBlockRecv),
        ("GoBlockSelect", GKind::GoBlockSelect),
        ("GoBlockSync", GKind::GoBlockSync),
        ("GoBlockCond", GKind::GoBlockCond),
        ("GoBlockNet", GKind::GoBlockNet),
        ("GoBlockGC", GKind::GoBlockGC),
        ("GoUnblock", GKind::GoUnblock),
        ("GoSysCall", GKind::GoSysCall),
        ("GoSysExit", GKind::GoSysExit),
        ("GoSysBlock", GKind::GoSysBlock),
        ("GoWaiting", GKind::GoWaiting),
        ("GoInSyscall", GKind::GoInSyscall),
        ("GCMarkAssistStart", GKind::GCMarkAssistStart),
        ("GCMarkAssistDone", GKind::GCMarkAssistDone),
        ("Other", GKind::Other),
    ];

    /// The kind named `name`.
    pub fn by_name(name: &str) -> Option<GKind> {
        GKind::ALL.iter().find(|(n, _)| *n == name).map(|&(_, k)| k)
    }

    /// The old event a Go 1.21 line names (its `*Local` variants included).
    fn of_v1_name(name: &str) -> GKind {
        match name {
            "GoStartLocal" => GKind::GoStart,
            "GoUnblockLocal" => GKind::GoUnblock,
            "GoSysExitLocal" => GKind::GoSysExit,
            _ => GKind::by_name(name).unwrap_or(GKind::Other),
        }
    }
}

/// No link / no event.
pub const NONE: u32 = u32::MAX;

/// One event as regiongraph sees it.
#[derive(Debug, Clone, Copy)]
pub struct GEvent {
    /// Time (ns; for old traces from the first event, as Go 1.21 gives it).
    pub ts: i64,
    /// The goroutine the event belongs to (0: none).
    pub g: u64,
    /// The goroutine a create, start, unblock or syscall exit is about.
    pub target: u64,
    /// Old-model type.
    pub kind: GKind,
    /// Interned stack + 1 (0: no stack).
    pub stack: u32,
    /// The event this one links to ([`NONE`]).
    pub link: u32,
    /// For a create: the new goroutine's interned stack + 1 (0: none).
    pub new_stack: u32,
}

/// Stacks interned by content: function names, leaf first.
#[derive(Debug, Default)]
pub struct Stacks {
    funcs: Vec<Box<[u8]>>,
    func_ids: HashMap<Box<[u8]>, u32>,
    stacks: Vec<Box<[u32]>>,
    by_content: HashMap<Box<[u32]>, u32>,
}

impl Stacks {
    fn intern(&mut self, s: &gotrace::Stack<'_, '_>) -> u32 {
        if s.is_none() {
            return 0;
        }
        let ids: Vec<u32> = s
            .frames()
            .map(|f| match self.func_ids.get(f.func) {
                Some(&id) => id,
                None => {
                    let id = self.funcs.len() as u32;
                    self.funcs.push(f.func.into());
                    self.func_ids.insert(f.func.into(), id);
                    id
                }
            })
            .collect();
        if let Some(&i) = self.by_content.get(ids.as_slice()) {
            return i + 1;
        }
        let i = self.stacks.len() as u32;
        self.by_content.insert(ids.clone().into(), i);
        self.stacks.push(ids.into());
        i + 1
    }

    /// Function names of an interned stack (`stack` as in [`GEvent::stack`]), leaf first.
    pub fn funcs(&self, stack: u32) -> Vec<&[u8]> {
        if stack == 0 {
            return Vec::new();
        }
        self.stacks[stack as usize - 1].iter().map(|&f| &*self.funcs[f as usize]).collect()
    }

    /// The outermost frame's function of an interned stack and its depth.
    pub fn root(&self, stack: u32) -> Option<(&[u8], usize)> {
        let s = self.stacks.get((stack as usize).checked_sub(1)?)?;
        s.last().map(|&f| (&*self.funcs[f as usize], s.len()))
    }

    /// How many distinct stacks there are (the largest `stack` value).
    pub fn len(&self) -> usize {
        self.stacks.len()
    }

    /// Whether no stack was seen.
    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty()
    }
}

/// The goroutine events of a whole trace, linked.
#[derive(Debug, Default)]
pub struct GoroutineEvents {
    /// Every event in trace order.
    pub events: Vec<GEvent>,
    /// The stacks the events name.
    pub stacks: Stacks,
    /// Goroutines in ascending order, each with its events' indexes in order.
    pub goroutines: Vec<(u64, Vec<u32>)>,
    /// For each event, its position in its goroutine's list.
    pub pos: Vec<u32>,
    /// For each event, the index of its goroutine in `goroutines`.
    pub gindex: Vec<u32>,
    /// For each event, the event that links to it ([`NONE`]).
    pub backlink: Vec<u32>,
    /// The events that are CPU-profile samples (`StackSample`; Go 1.21's
    /// `CPUSample`), in trace order: `schedstat scope` places them in regions.
    pub samples: Vec<u32>,
}

impl GoroutineEvents {
    /// The next event of the same goroutine.
    pub fn next(&self, e: u32) -> Option<u32> {
        let list = &self.goroutines[self.gindex[e as usize] as usize].1;
        list.get(self.pos[e as usize] as usize + 1).copied()
    }
}

/// One line of Go 1.21's parse of an old trace.
#[derive(Debug, Clone, Copy)]
struct V1Line {
    ts: i64,
    name: V1Name,
    g: u64,
    /// The goroutine argument (`g=` after `off=`), 0 if none.
    arg_g: u64,
    /// GoCreate's new stack ID.
    arg_stack: u64,
}

/// The old event types the alignment treats specially.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum V1Name {
    Kind(GKind),
    Gomaxprocs,
    StartLabel,
    FutileWakeup,
    StwStart,
    StwDone,
    /// Anything else (converted one to one).
    Plain,
}

/// Why the old-format view failed (the reader and Go 1.21's parse disagree on
/// the event sequence); the caller then reads the converted events alone.
#[derive(Debug, Clone)]
pub struct Misaligned(pub String);

/// Builds [`GoroutineEvents`] from the event stream.
pub struct Collector {
    out: GoroutineEvents,
    /// Stack ID → interned, for the current generation (the whole trace for old ones).
    gen_stacks: HashMap<u64, u32>,
    // New-format mapping state.
    seen: std::collections::HashSet<u64>,
    in_syscall: HashMap<i64, u64>,
    sys_blocked: std::collections::HashSet<u64>,
    // Old-format alignment state.
    v1: Option<V1State>,
}

struct V1State {
    lines: Vec<V1Line>,
    next: usize,
    version: u32,
    pre_init: bool,
    skipping_status: bool,
    /// Converted events still due for the line last handed out.
    extra: usize,
    optional_syscall_end: bool,
    stw_procs: u32,
    /// Creates whose new stack is only known by ID: (event, stack ID).
    pending_new_stacks: Vec<(u32, u64)>,
    failed: Option<String>,
}

impl Default for Collector {
    fn default() -> Self {
        Self::new()
    }
}

impl Collector {
    /// A collector for a new-format trace (or an old one read without Go 1.21's view).
    pub fn new() -> Self {
        Collector {
            out: GoroutineEvents::default(),
            gen_stacks: HashMap::new(),
            seen: Default::default(),
            in_syscall: HashMap::new(),
            sys_blocked: Default::default(),
            v1: None,
        }
    }

    /// A collector for an old-format trace (`data`, header minor `version`):
    /// times, goroutines and event types come from Go 1.21's parse of it,
    /// stacks from the converted events fed to [`Collector::event`].
    pub fn old_format(data: &[u8], version: u32) -> Result<Self, gotrace::Error> {
        let mut lines = Vec::new();
        gotrace::v1::go121_each(data, |e| lines.push(v1_line(e)))?;
        let mut c = Collector::new();
        c.v1 = Some(V1State {
            lines,
            next: 0,
            version,
            pre_init: true,
            skipping_status: false,
            extra: 0,
            optional_syscall_end: false,
            stw_procs: 0,
            pending_new_stacks: Vec::new(),
            failed: None,
        });
        Ok(c)
    }

    fn stack_of(&mut self, s: &gotrace::Stack<'_, '_>) -> u32 {
        if s.is_none() {
            return 0;
        }
        let id = s.id();
        if let Some(&i) = self.gen_stacks.get(&id) {
            return i;
        }
        let i = self.out.stacks.intern(s);
        self.gen_stacks.insert(id, i);
        i
    }

    fn push(&mut self, ts: i64, g: u64, kind: GKind, target: u64, stack: u32, new_stack: u32) -> u32 {
        let i = self.out.events.len() as u32;
        self.out.events.push(GEvent { ts, g, target, kind, stack, link: NONE, new_stack });
        i
    }

    /// Feeds one event.
    pub fn event(&mut self, e: &Event<'_>) {
        if e.kind() == EventKind::Sync {
            if self.v1.is_none() {
                self.gen_stacks.clear();
            }
            return;
        }
        if self.v1.is_some() {
            self.event_v1(e);
        } else {
            self.event_v2(e);
        }
    }

    /// New-format events mapped to old ones.
    fn event_v2(&mut self, e: &Event<'_>) {
        let ts = e.time();
        let gctx = if e.goroutine() > 0 { e.goroutine() as u64 } else { 0 };
        let t = e.wire_type();
        let tr = e.state_transition();
        let gid = |tr: &Option<gotrace::StateTransition<'_, '_>>| match tr.as_ref().map(|t| t.transition) {
            Some(Transition::Goroutine { id, .. }) if id > 0 => id as u64,
            _ => 0,
        };
        match t {
            ev::GO_CREATE | ev::GO_CREATE_BLOCKED => {
                let target = gid(&tr);
                let stack = self.stack_of(&e.stack());
                let new_stack = tr.as_ref().map(|t| t.stack).map(|s| self.stack_of(&s)).unwrap_or(0);
                self.seen.insert(target);
                self.push(ts, gctx, GKind::GoCreate, target, stack, new_stack);
            }
            ev::GO_CREATE_SYSCALL => {
                let target = gid(&tr);
                self.seen.insert(target);
                self.push(ts, target, GKind::GoInSyscall, target, 0, 0);
            }
            ev::GO_START => {
                let target = gid(&tr);
                self.seen.insert(target);
                self.push(ts, target, GKind::GoStart, target, 0, 0);
            }
            ev::GO_DESTROY | ev::GO_DESTROY_SYSCALL => {
                self.push(ts, gctx, GKind::GoEnd, 0, 0, 0);
            }
            ev::GO_STOP | ev::GO_BLOCK => {
                let reason = tr.as_ref().map(|t| t.reason).unwrap_or(b"");
                let kind = if t == ev::GO_STOP {
                    if reason == b"preempted" {
                        GKind::GoPreempt
                    } else {
                        GKind::GoSched
                    }
                } else {
                    match reason {
                        b"network" => GKind::GoBlockNet,
                        b"select" => GKind::GoBlockSelect,
                        b"sync.(*Cond).Wait" => GKind::GoBlockCond,
                        b"sync" => GKind::GoBlockSync,
                        b"chan send" => GKind::GoBlockSend,
                        b"chan receive" => GKind::GoBlockRecv,
                        b"GC mark assist wait for work" => GKind::GoBlockGC,
                        b"sleep" => GKind::GoSleep,
                        b"forever" => GKind::GoStop,
                        _ => GKind::GoBlock,
                    }
                };
                let stack = self.stack_of(&e.stack());
                self.push(ts, gctx, kind, 0, stack, 0);
            }
            ev::GO_UNBLOCK | ev::GO_SWITCH | ev::GO_SWITCH_DESTROY => {
                let target = gid(&tr);
                let stack = self.stack_of(&e.stack());
                self.push(ts, gctx, GKind::GoUnblock, target, stack, 0);
            }
            ev::GO_SYSCALL_BEGIN => {
                let stack = self.stack_of(&e.stack());
                self.in_syscall.insert(e.proc(), gctx);
                self.sys_blocked.remove(&gctx);
                self.push(ts, gctx, GKind::GoSysCall, 0, stack, 0);
            }
            ev::GO_SYSCALL_END => {
                self.in_syscall.retain(|_, g| *g != gctx);
            }
            ev::GO_SYSCALL_END_BLOCKED => {
                self.in_syscall.retain(|_, g| *g != gctx);
                if !self.sys_blocked.remove(&gctx) {
                    self.push(ts, gctx, GKind::GoSysBlock, 0, 0, 0);
                }
                self.push(ts, gctx, GKind::GoSysExit, gctx, 0, 0);
            }
            ev::PROC_STEAL => {
                if let Some(Transition::Proc { id, .. }) = tr.as_ref().map(|t| t.transition) {
                    if let Some(g) = self.in_syscall.remove(&id) {
                        self.sys_blocked.insert(g);
                        self.push(ts, g, GKind::GoSysBlock, 0, 0, 0);
                    }
                }
            }
            ev::GO_STATUS | ev::GO_STATUS_STACK => {
                if let Some(Transition::Goroutine { id, to, .. }) = tr.as_ref().map(|t| t.transition) {
                    let g = id.max(0) as u64;
                    if g != 0 && self.seen.insert(g) {
                        match to {
                            GoState::Waiting => {
                                self.push(ts, g, GKind::GoWaiting, g, 0, 0);
                            }
                            GoState::Syscall => {
                                self.push(ts, g, GKind::GoInSyscall, g, 0, 0);
                            }
                            GoState::Running => {
                                self.push(ts, g, GKind::GoStart, g, 0, 0);
                            }
                            _ => {}
                        }
                    }
                }
            }
            ev::GC_MARK_ASSIST_BEGIN => {
                let stack = self.stack_of(&e.stack());
                self.push(ts, gctx, GKind::GCMarkAssistStart, 0, stack, 0);
            }
            ev::GC_MARK_ASSIST_END => {
                self.push(ts, gctx, GKind::GCMarkAssistDone, 0, 0, 0);
            }
            ev::GO_LABEL => {
                // A labelled start (GC workers) is Go 1.21's GoStartLabel.
                if let Some(last) = self.out.events.last_mut() {
                    if last.kind == GKind::GoStart && last.g == gctx {
                        last.kind = GKind::GoStartLabel;
                    }
                }
            }
            ev::GC_MARK_ASSIST_ACTIVE | ev::GC_ACTIVE | ev::GC_SWEEP_ACTIVE => {}
            ev::GC_BEGIN | ev::GC_END | ev::STW_BEGIN | ev::STW_END => {
                // Go 1.21 files GC and stop-the-world events under no goroutine.
                let stack = self.stack_of(&e.stack());
                self.push(ts, 0, GKind::Other, 0, stack, 0);
            }
            _ => {
                if e.kind() == EventKind::Experimental {
                    return;
                }
                let stack = self.stack_of(&e.stack());
                let i = self.push(ts, gctx, GKind::Other, 0, stack, 0);
                if e.kind() == EventKind::StackSample {
                    self.out.samples.push(i);
                }
            }
        }
    }

    /// Old-format events: the next Go 1.21 line(s) with the stack of the converted event.
    fn event_v1(&mut self, e: &Event<'_>) {
        let Some(v1) = self.v1.as_mut() else { return };
        if v1.failed.is_some() {
            return;
        }
        let t = e.wire_type();
        if v1.skipping_status {
            if t == ev::GO_STATUS {
                return;
            }
            v1.skipping_status = false;
        }
        if v1.extra > 0 {
            v1.extra -= 1;
            return;
        }
        if v1.optional_syscall_end {
            v1.optional_syscall_end = false;
            if t == ev::GO_SYSCALL_END {
                return;
            }
        }
        loop {
            let Some(v1) = self.v1.as_mut() else { return };
            let Some(&line) = v1.lines.get(v1.next) else {
                v1.failed = Some(format!("event at {} has no Go 1.21 counterpart", e.time()));
                return;
            };
            v1.next += 1;
            let n = v1.converted_count(&line);
            if n == 0 {
                self.push_v1(&line, 0, 0);
                let v1 = self.v1.as_mut().expect("set");
                if line.name == V1Name::Gomaxprocs && v1.skipping_status {
                    if t == ev::GO_STATUS {
                        return;
                    }
                    v1.skipping_status = false;
                }
                continue;
            }
            if !wire_fits(&line, t, v1.pre_init) {
                v1.failed = Some(format!(
                    "Go 1.21 event {:?} at {} met converted type {} at {}",
                    line.name,
                    line.ts,
                    t,
                    e.time()
                ));
                return;
            }
            v1.extra = n - 1;
            v1.optional_syscall_end = line.name == V1Name::Kind(GKind::GoSysCall);
            let stack = self.stack_of(&e.stack());
            let new_stack = if t == ev::GO_CREATE {
                e.state_transition().map(|tr| tr.stack).map(|s| self.stack_of(&s)).unwrap_or(0)
            } else {
                0
            };
            self.push_v1(&line, stack, new_stack);
            if e.kind() == EventKind::StackSample {
                self.out.samples.push(self.out.events.len() as u32 - 1);
            }
            return;
        }
    }

    fn push_v1(&mut self, line: &V1Line, stack: u32, new_stack: u32) {
        let kind = match line.name {
            V1Name::Kind(k) => k,
            V1Name::StartLabel => GKind::GoStartLabel,
            _ => GKind::Other,
        };
        let target = match kind {
            GKind::GoCreate | GKind::GoUnblock | GKind::GoSysExit | GKind::GoStart | GKind::GoStartLabel => line.arg_g,
            GKind::GoWaiting | GKind::GoInSyscall => line.g,
            _ => 0,
        };
        let i = self.push(line.ts, line.g, kind, target, stack, new_stack);
        if kind == GKind::GoCreate && new_stack == 0 && line.arg_stack != 0 {
            if let Some(v1) = self.v1.as_mut() {
                v1.pending_new_stacks.push((i, line.arg_stack));
            }
        }
    }

    /// Links the events and indexes them by goroutine. An old-format trace
    /// whose converted events did not line up with Go 1.21's parse is
    /// [`Misaligned`]: read it again with [`Collector::new`].
    pub fn finish(mut self) -> Result<GoroutineEvents, Misaligned> {
        if let Some(mut v1) = self.v1.take() {
            if let Some(why) = v1.failed.take() {
                return Err(Misaligned(why));
            }
            // Lines after the last converted event (a trailing GoSysBlock, say).
            while let Some(&line) = v1.lines.get(v1.next) {
                v1.next += 1;
                if v1.converted_count(&line) != 0 {
                    return Err(Misaligned(format!("Go 1.21 event at {} was never converted", line.ts)));
                }
                self.push_v1(&line, 0, 0);
            }
            for (i, id) in v1.pending_new_stacks {
                if let Some(&s) = self.gen_stacks.get(&id) {
                    self.out.events[i as usize].new_stack = s;
                }
            }
        }
        let mut out = self.out;
        link(&mut out.events);
        index(&mut out);
        Ok(out)
    }
}

impl V1State {
    /// How many converted events the line becomes (the converter's rules);
    /// updates the state the rules depend on.
    fn converted_count(&mut self, line: &V1Line) -> usize {
        match line.name {
            V1Name::Gomaxprocs => {
                if self.pre_init {
                    self.pre_init = false;
                    self.skipping_status = true;
                    0
                } else {
                    1
                }
            }
            V1Name::Kind(GKind::GoCreate) if self.pre_init => 0,
            V1Name::Kind(GKind::GoSysBlock) => 0,
            V1Name::FutileWakeup if self.version < 11 => 0,
            V1Name::StwStart if self.version < 10 => {
                self.stw_procs += 1;
                usize::from(self.stw_procs == 1)
            }
            V1Name::StwDone if self.version < 10 => {
                self.stw_procs = self.stw_procs.saturating_sub(1);
                usize::from(self.stw_procs == 0)
            }
            V1Name::StartLabel => 2,
            _ => 1,
        }
    }
}

/// Whether a converted event of wire type `t` can come from `line`
/// (`pre_init`: before the trace's first Gomaxprocs).
fn wire_fits(line: &V1Line, t: u8, pre_init: bool) -> bool {
    match line.name {
        V1Name::Kind(k) => match k {
            GKind::GoCreate => t == ev::GO_CREATE,
            GKind::GoStart => t == ev::GO_START || (pre_init && t == ev::GO_STATUS),
            GKind::GoStartLabel => t == ev::GO_START,
            GKind::GoEnd => t == ev::GO_DESTROY,
            GKind::GoStop | GKind::GoSleep | GKind::GoBlock | GKind::GoBlockSend | GKind::GoBlockRecv => {
                t == ev::GO_BLOCK
            }
            GKind::GoBlockSelect | GKind::GoBlockSync | GKind::GoBlockCond | GKind::GoBlockNet | GKind::GoBlockGC => {
                t == ev::GO_BLOCK
            }
            GKind::GoSched | GKind::GoPreempt => t == ev::GO_STOP,
            GKind::GoUnblock => t == ev::GO_UNBLOCK,
            GKind::GoSysCall => t == ev::GO_SYSCALL_BEGIN,
            GKind::GoSysExit => t == ev::GO_SYSCALL_END_BLOCKED,
            GKind::GoWaiting | GKind::GoInSyscall => t == ev::GO_STATUS,
            GKind::GCMarkAssistStart => t == ev::GC_MARK_ASSIST_BEGIN,
            GKind::GCMarkAssistDone => t == ev::GC_MARK_ASSIST_END,
            GKind::GoSysBlock | GKind::Other => true,
        },
        V1Name::StartLabel => t == ev::GO_START,
        V1Name::Gomaxprocs => t == ev::PROCS_CHANGE,
        _ => true,
    }
}

/// What the alignment needs of an old event as Go 1.21 parsed it.
fn v1_line(e: &gotrace::v1::Go121Event) -> V1Line {
    V1Line { ts: e.ts, name: v1_name(e.name), g: e.g, arg_g: e.arg("g").unwrap_or(0), arg_stack: e.arg("stack").unwrap_or(0) }
}

/// An old event type by Go 1.21's name.
fn v1_name(name: &str) -> V1Name {
    match name {
        "Gomaxprocs" => V1Name::Gomaxprocs,
        "GoStartLabel" => V1Name::StartLabel,
        "FutileWakeup" => V1Name::FutileWakeup,
        "STWStart" => V1Name::StwStart,
        "STWDone" => V1Name::StwDone,
        other => match GKind::of_v1_name(other) {
            GKind::Other => V1Name::Plain,
            k => V1Name::Kind(k),
        },
    }
}

/// Go 1.21's `postProcessTrace` links, and first starts' creation stacks.
fn link(events: &mut [GEvent]) {
    #[derive(Clone, Copy)]
    struct G {
        ev: u32,
        create: u32,
    }
    const FRESH: G = G { ev: NONE, create: NONE };
    let mut gs: HashMap<u64, G> = HashMap::new();
    for i in 0..events.len() {
        let e = events[i];
        let me = i as u32;
        match e.kind {
            GKind::GoWaiting | GKind::GoInSyscall => gs.entry(e.g).or_insert(FRESH).ev = me,
            GKind::GoCreate => {
                gs.insert(e.target, G { ev: me, create: me });
            }
            GKind::GoStart | GKind::GoStartLabel => {
                let s = gs.entry(e.g).or_insert(FRESH);
                if s.create != NONE {
                    let c = s.create as usize;
                    s.create = NONE;
                    events[i].stack = events[c].new_stack;
                }
                if s.ev != NONE {
                    let prev = s.ev as usize;
                    s.ev = NONE;
                    events[prev].link = me;
                }
            }
            GKind::GoSched | GKind::GoPreempt | GKind::GoSysCall => gs.entry(e.g).or_insert(FRESH).ev = me,
            GKind::GoSleep
            | GKind::GoBlock
            | GKind::GoBlockSend
            | GKind::GoBlockRecv
            | GKind::GoBlockSelect
            | GKind::GoBlockSync
            | GKind::GoBlockCond
            | GKind::GoBlockNet
            | GKind::GoBlockGC => gs.entry(e.g).or_insert(FRESH).ev = me,
            GKind::GoUnblock => {
                let s = gs.entry(e.target).or_insert(FRESH);
                if s.ev != NONE {
                    let prev = s.ev as usize;
                    events[prev].link = me;
                }
                s.ev = me;
            }
            GKind::GoSysExit => {
                let s = gs.entry(e.g).or_insert(FRESH);
                if s.ev != NONE && events[s.ev as usize].kind == GKind::GoSysCall {
                    let prev = s.ev as usize;
                    events[prev].link = me;
                }
                s.ev = me;
            }
            _ => {}
        }
    }
}

/// Per-goroutine lists, positions and back-links.
pub(crate) fn index(out: &mut GoroutineEvents) {
    let n = out.events.len();
    let mut lists: HashMap<u64, Vec<u32>> = HashMap::new();
    for (i, e) in out.events.iter().enumerate() {
        lists.entry(e.g).or_default().push(i as u32);
    }
    let mut gl: Vec<(u64, Vec<u32>)> = lists.into_iter().collect();
    gl.sort_unstable_by_key(|(g, _)| *g);
    out.pos = vec![0; n];
    out.gindex = vec![0; n];
    for (gi, (_, list)) in gl.iter().enumerate() {
        for (p, &e) in list.iter().enumerate() {
            out.pos[e as usize] = p as u32;
            out.gindex[e as usize] = gi as u32;
        }
    }
    out.goroutines = gl;
    out.backlink = vec![NONE; n];
    for (i, e) in out.events.iter().enumerate() {
        if e.link != NONE {
            out.backlink[e.link as usize] = i as u32;
        }
    }
}

/// Reads the toolbox's per-goroutine listings (its testdata: etgrep lines of
/// old traces, `TS TYPE p=P g=G ...`, each followed by its stack's frames
/// `  PC FUNC FILE:LINE`) into goroutine events, for tests of the matchers.
#[cfg(test)]
pub(crate) fn from_listing(text: &str) -> GoroutineEvents {
    let mut out = GoroutineEvents::default();
    let mut evs: Vec<(i64, u64, GKind, Vec<Vec<u8>>)> = Vec::new();
    for line in text.lines() {
        if let Some(frame) = line.strip_prefix("  ") {
            if let Some(e) = evs.last_mut() {
                e.3.push(frame.split(' ').nth(1).unwrap_or("").as_bytes().to_vec());
            }
            continue;
        }
        // `TS NAME p=P g=G ...`
        let mut words = line.split(' ');
        let (Some(ts), Some(name)) = (words.next().and_then(|t| t.parse::<i64>().ok()), words.next()) else {
            continue;
        };
        let g = words.find_map(|w| w.strip_prefix("g=")).and_then(|g| g.parse().ok()).unwrap_or(0);
        let kind = match v1_name(name) {
            V1Name::Kind(k) => k,
            V1Name::StartLabel => GKind::GoStartLabel,
            _ => GKind::Other,
        };
        evs.push((ts, g, kind, Vec::new()));
    }
    // Each file holds one goroutine; merged, in time order.
    evs.sort_by_key(|e| (e.0, e.1));
    for (ts, g, kind, frames) in evs {
        let stack = if frames.is_empty() {
            0
        } else {
            let ids: Vec<u32> = frames
                .iter()
                .map(|f| match out.stacks.func_ids.get(f.as_slice()) {
                    Some(&id) => id,
                    None => {
                        let id = out.stacks.funcs.len() as u32;
                        out.stacks.funcs.push(f.clone().into());
                        out.stacks.func_ids.insert(f.clone().into(), id);
                        id
                    }
                })
                .collect();
            out.stacks.stacks.push(ids.into());
            out.stacks.stacks.len() as u32
        };
        out.events.push(GEvent { ts, g, target: 0, kind, stack, link: NONE, new_stack: 0 });
    }
    index(&mut out);
    out
}
