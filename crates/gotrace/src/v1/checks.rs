//! Go's whole-trace checks of an old-format trace (`postProcessTrace`), one
//! event at a time: every goroutine and P changes state only in ways the
//! runtime can, GC and STW phases nest, regions close in order. The checks
//! also learn facts about events that the conversion needs (see
//! [`super::events::flag`]): a syscall that blocked, a network unblock, a GC
//! start, a stack the trace never defines.
//!
//! [`post_process`] runs them over a merged [`EventList`] in its final order,
//! as Go does; the parallel reader ([`super::pipeline`]) runs them on a second
//! thread in merge order, which gives the same verdict and flags on every
//! trace it keeps (see there).

use super::dense::{p_key, DenseMap};
use super::events::{flag, EventList, Location, SetFlag};
use super::parse::{RawEvent, GO111, G_DEAD, G_RUNNABLE, G_RUNNING, G_WAITING};
use super::spec::{ev, fake_p, EventType, SPECS};
use crate::table::IdMap;
use crate::Error;

#[derive(Default, Clone, Copy)]
struct GDesc {
    state: u8,
    /// Type of the event that last changed the goroutine's wait state.
    last: Option<EventType>,
    mark_assist: bool,
}

#[derive(Default, Clone, Copy)]
struct PDesc {
    running: bool,
    g: u64,
    sweep: bool,
    /// Before 1.10 a stop-the-world is per P.
    stw: bool,
}

/// The checks' state between events.
pub(crate) struct Checks {
    ver: u32,
    gs: DenseMap<GDesc>,
    ps: DenseMap<PDesc>,
    tasks: IdMap<u64, RawEvent>,
    regions: IdMap<u64, Vec<RawEvent>>,
    in_gc: bool,
    in_stw: bool,
    /// Per goroutine, its last event when that was a syscall, to learn whether it blocked.
    open_syscall: DenseMap<Location>,
}

/// Runs the checks over `events` in their final order, setting the flags;
/// `stacks` are the trace's stacks (references to others are dropped).
#[inline(never)]
pub(crate) fn post_process(events: &mut EventList, stacks: &IdMap<u32, (u32, u32)>, ver: u32) -> Result<(), Error> {
    let mut checks = Checks::new(ver);
    let mut cursor = Default::default();
    while let Some((mut e, at)) = events.next(&mut cursor) {
        checks.step(&mut e, at, events)?;
        if e.stk != 0 && !stacks.contains_key(&e.stk) {
            events.set_flag(at, flag::NO_STACK);
        }
    }
    Ok(())
}

fn check_running(p: PDesc, g: GDesc, e: &RawEvent, allow_g0: bool) -> Result<(), Error> {
    let name = SPECS[e.typ as usize].name;
    if g.state != G_RUNNING {
        return Err(Error::new(format!("g {} is not running while {name} (time {})", e.g, e.ts)));
    }
    if p.g != e.g {
        return Err(Error::new(format!("p {} is not running g {} while {name} (time {})", e.p, e.g, e.ts)));
    }
    if !allow_g0 && e.g == 0 {
        return Err(Error::new(format!("g 0 did {name} (time {})", e.ts)));
    }
    Ok(())
}

impl Checks {
    pub fn new(ver: u32) -> Self {
        let mut gs = DenseMap::default();
        gs.insert(0, GDesc { state: G_RUNNING, ..GDesc::default() });
        Checks {
            ver,
            gs,
            ps: DenseMap::default(),
            tasks: IdMap::default(),
            regions: IdMap::default(),
            in_gc: false,
            in_stw: false,
            open_syscall: DenseMap::default(),
        }
    }

    /// Checks the next event `e` (held at `at` in `events`), setting its
    /// flags and the syscall flag of the goroutine's previous event. The
    /// stack check is the caller's (it needs every stack of the trace).
    #[inline]
    pub fn step(&mut self, e: &mut RawEvent, at: Location, events: &mut impl SetFlag) -> Result<(), Error> {
        if let Some(call) = self.open_syscall.remove(e.g) {
            if e.typ == ev::GO_SYSBLOCK {
                events.set_flag(call, flag::SYSCALL_BLOCKED);
            }
        }
        if e.typ == ev::GO_SYSCALL {
            self.open_syscall.insert(e.g, at);
        }
        let ts = e.ts;
        let mut g = self.gs.get_or_default(e.g);
        let mut p = self.ps.get_or_default(p_key(e.p));
        match e.typ {
            ev::PROC_START => {
                if p.running {
                    return Err(Error::new(format!("p {} is running before start (time {ts})", e.p)));
                }
                p.running = true;
                self.ps.insert(p_key(e.p), p);
            }
            ev::PROC_STOP => {
                if !p.running {
                    return Err(Error::new(format!("p {} is not running before stop (time {ts})", e.p)));
                }
                if p.g != 0 {
                    return Err(Error::new(format!(
                        "p {} is running a goroutine {} during stop (time {ts})",
                        e.p, p.g
                    )));
                }
                p.running = false;
                self.ps.insert(p_key(e.p), p);
            }
            ev::GC_START => {
                if self.in_gc {
                    return Err(Error::new(format!("previous GC is not ended before a new one (time {ts})")));
                }
                self.in_gc = true;
                e.p = fake_p::GC;
                events.set_flag(at, flag::GC);
            }
            ev::GC_DONE => {
                if !self.in_gc {
                    return Err(Error::new(format!("bogus GC end (time {ts})")));
                }
                self.in_gc = false;
            }
            ev::STW_START => {
                let stw = if self.ver < 10 { &mut p.stw } else { &mut self.in_stw };
                if *stw {
                    return Err(Error::new(format!("previous STW is not ended before a new one (time {ts})")));
                }
                *stw = true;
                self.ps.insert(p_key(e.p), p);
            }
            ev::STW_DONE => {
                let stw = if self.ver < 10 { &mut p.stw } else { &mut self.in_stw };
                if !*stw {
                    return Err(Error::new(format!("bogus STW end (time {ts})")));
                }
                *stw = false;
                self.ps.insert(p_key(e.p), p);
            }
            ev::GC_SWEEP_START => {
                if p.sweep {
                    return Err(Error::new(format!("previous sweeping is not ended before a new one (time {ts})")));
                }
                p.sweep = true;
                self.ps.insert(p_key(e.p), p);
            }
            ev::GC_MARK_ASSIST_START => {
                if g.mark_assist {
                    return Err(Error::new(format!("previous mark assist is not ended before a new one (time {ts})")));
                }
                g.mark_assist = true;
                self.gs.insert(e.g, g);
            }
            ev::GC_MARK_ASSIST_DONE => {
                // Assists can be under way when tracing starts: no error.
                g.mark_assist = false;
                self.gs.insert(e.g, g);
            }
            ev::GC_SWEEP_DONE => {
                if !p.sweep {
                    return Err(Error::new(format!("bogus sweeping end (time {ts})")));
                }
                p.sweep = false;
                self.ps.insert(p_key(e.p), p);
            }
            ev::GO_WAITING | ev::GO_IN_SYSCALL => {
                if g.state != G_RUNNABLE {
                    let which = if e.typ == ev::GO_WAITING { "EvGoWaiting" } else { "EvGoInSyscall" };
                    return Err(Error::new(format!("g {} is not runnable before {which} (time {ts})", e.g)));
                }
                g.state = G_WAITING;
                g.last = Some(e.typ);
                self.gs.insert(e.g, g);
            }
            ev::GO_CREATE => {
                check_running(p, g, e, true)?;
                if self.gs.contains_key(e.args[0]) {
                    return Err(Error::new(format!("g {} already exists (time {ts})", e.args[0])));
                }
                self.gs.insert(e.args[0], GDesc { state: G_RUNNABLE, last: Some(e.typ), mark_assist: false });
            }
            ev::GO_START | ev::GO_START_LABEL => {
                if g.state != G_RUNNABLE {
                    return Err(Error::new(format!("g {} is not runnable before start (time {ts})", e.g)));
                }
                if p.g != 0 {
                    return Err(Error::new(format!(
                        "p {} is already running g {} while start g {} (time {ts})",
                        e.p, p.g, e.g
                    )));
                }
                g.state = G_RUNNING;
                g.last = None;
                p.g = e.g;
                self.gs.insert(e.g, g);
                self.ps.insert(p_key(e.p), p);
            }
            ev::GO_END | ev::GO_STOP => {
                check_running(p, g, e, false)?;
                g.state = G_DEAD;
                p.g = 0;
                if e.typ == ev::GO_END {
                    self.regions.remove(&e.g);
                }
                self.gs.insert(e.g, g);
                self.ps.insert(p_key(e.p), p);
            }
            ev::GO_SCHED | ev::GO_PREEMPT => {
                check_running(p, g, e, false)?;
                g.state = G_RUNNABLE;
                p.g = 0;
                g.last = Some(e.typ);
                self.gs.insert(e.g, g);
                self.ps.insert(p_key(e.p), p);
            }
            ev::GO_UNBLOCK => {
                if g.state != G_RUNNING {
                    return Err(Error::new(format!("g {} is not running while unpark (time {ts})", e.g)));
                }
                if e.p != fake_p::TIMER && p.g != e.g {
                    return Err(Error::new(format!("p {} is not running g {} while unpark (time {ts})", e.p, e.g)));
                }
                let target = e.args[0];
                let mut g1 = self.gs.get_or_default(target);
                if g1.state != G_WAITING {
                    return Err(Error::new(format!("g {target} is not waiting before unpark (time {ts})")));
                }
                // Go 1.21 (the reference before 1.11) leaves timer unblocks on the timer P.
                if g1.last == Some(ev::GO_BLOCK_NET) && (self.ver >= GO111 || e.p != fake_p::TIMER) {
                    e.p = fake_p::NETPOLL;
                    events.set_flag(at, flag::NETPOLL);
                }
                g1.state = G_RUNNABLE;
                g1.last = Some(e.typ);
                self.gs.insert(target, g1);
            }
            ev::GO_SYSCALL => {
                check_running(p, g, e, false)?;
                g.last = Some(e.typ);
                self.gs.insert(e.g, g);
            }
            ev::GO_SYSBLOCK => {
                check_running(p, g, e, false)?;
                g.state = G_WAITING;
                p.g = 0;
                self.gs.insert(e.g, g);
                self.ps.insert(p_key(e.p), p);
            }
            ev::GO_SYSEXIT => {
                if g.state != G_WAITING {
                    return Err(Error::new(format!("g {} is not waiting during syscall exit (time {ts})", e.g)));
                }
                g.state = G_RUNNABLE;
                g.last = Some(e.typ);
                self.gs.insert(e.g, g);
            }
            ev::GO_SLEEP
            | ev::GO_BLOCK
            | ev::GO_BLOCK_SEND
            | ev::GO_BLOCK_RECV
            | ev::GO_BLOCK_SELECT
            | ev::GO_BLOCK_SYNC
            | ev::GO_BLOCK_COND
            | ev::GO_BLOCK_NET
            | ev::GO_BLOCK_GC => {
                check_running(p, g, e, false)?;
                g.state = G_WAITING;
                g.last = Some(e.typ);
                p.g = 0;
                self.gs.insert(e.g, g);
                self.ps.insert(p_key(e.p), p);
            }
            ev::USER_TASK_CREATE => {
                let id = e.args[0];
                if let Some(prev) = self.tasks.get(&id) {
                    return Err(Error::new(format!(
                        "task id conflicts (id:{id}), {} vs {}",
                        quoted(&describe(e)),
                        quoted(&describe(prev))
                    )));
                }
                self.tasks.insert(id, *e);
            }
            ev::USER_TASK_END => {
                self.tasks.remove(&e.args[0]);
            }
            ev::USER_REGION => {
                let mode = e.args[1];
                let open = self.regions.entry(e.g).or_default();
                match mode {
                    0 => open.push(*e),
                    1 => {
                        if let Some(s) = open.last() {
                            if s.args[0] != e.args[0] || s.args[2] != e.args[2] {
                                return Err(Error::new(format!(
                                    "misuse of region in goroutine {}: span end {} when the inner-most active span start event is {}",
                                    e.g,
                                    quoted(&describe(e)),
                                    quoted(&describe(s))
                                )));
                            }
                            open.pop();
                        }
                        if open.is_empty() {
                            self.regions.remove(&e.g);
                        }
                    }
                    _ => return Err(Error::new(format!("invalid user region mode: {}", quoted(&describe(e))))),
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Go's `Event.String` for the old format, which its error messages quote.
fn describe(e: &RawEvent) -> String {
    let spec = &SPECS[e.typ as usize];
    let mut s = format!("{} {} p={} g={} stk={}", e.ts, spec.name, e.p, e.g, e.stk);
    for (i, a) in spec.args.iter().enumerate() {
        s.push_str(&format!(" {a}={}", e.args[i]));
    }
    s
}

/// Go's `%q` of a string made of printable ASCII.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
