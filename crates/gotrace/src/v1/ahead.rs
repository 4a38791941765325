//! Reading the parallel reader's converted events on two threads.
//!
//! Once the merge ends ([`super::pipeline`]), what is left is reading the
//! converted records front to back: decoding each, its time to nanoseconds,
//! its string IDs made final, the end of an instantaneous syscall added
//! ([`Bases::resolve`]). That was a third of the reader's time on one thread
//! while the other waited. The records are cut at the list's marks (every
//! [`MARK_EVERY`](super::events::MARK_EVERY) records, where a reader can start on its own) into chunks
//! that both threads claim in turn from one counter: a helper thread resolves
//! the chunks it claims and sends them in order; the reading thread takes
//! them, and resolves a chunk itself whenever the helper's next one is not
//! ready, so neither waits while work is left. The reading thread alone makes
//! the [`Event`]s, in order ([`super::convert::Finish::hand_out`]),
//! so what the caller sees is what one thread would give.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::convert::{fix, Bases, Finish, Out, Tables};
use super::events::{flag, EventList};
use crate::event::Event;
use crate::shared::TableRef;
use crate::Error;

/// Chunks the reading thread resolves ahead of the one it reads, at most,
/// while waiting for the helper (bounds their memory).
const OWN_AHEAD: usize = 4;

/// Chunks the helper may have sent and the reader not taken yet.
const IN_FLIGHT: usize = 4;

/// What both threads read: the records, how to resolve them, and the next
/// chunk nobody has claimed.
struct Shared {
    outs: EventList<Out>,
    bases: Bases,
    chunks: usize,
    next: AtomicUsize,
}

impl Shared {
    /// The next unclaimed chunk, if any is left.
    fn claim(&self) -> Option<usize> {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        (k < self.chunks).then_some(k)
    }

    /// Resolves chunk `k` into `into` (emptied first).
    fn resolve(&self, k: usize, into: &mut Vec<Out>) {
        into.clear();
        let outs = &self.outs;
        let mut c = outs.cursor_at_mark(k);
        while let Some((mut o, at)) = outs.next_raw_before_mark(&mut c, k) {
            if o.fix & fix::SYSCALL != 0 && outs.flags(at) & flag::SYSCALL_BLOCKED != 0 {
                o.fix |= fix::BLOCKED;
            }
            self.bases.resolve(&o, outs.nanoseconds(o.ts), |r| into.push(r));
        }
    }
}

/// The resolved events in order, chunk by chunk.
pub(crate) struct ReadAhead {
    shared: Arc<Shared>,
    /// The next chunk the reader takes.
    want: usize,
    /// Chunks the reader resolved ahead, while the helper's were not ready.
    own: Vec<(usize, Vec<Out>)>,
    /// Buffers to resolve into again.
    pool: Vec<Vec<Out>>,
    helper: Option<Helper>,
}

/// The helper thread and the two ends the reader holds.
struct Helper {
    resolved: Receiver<(usize, Vec<Out>)>,
    spent: SyncSender<Vec<Out>>,
    thread: JoinHandle<()>,
}

impl ReadAhead {
    /// Starts a helper when there is more than one chunk and a thread to be had.
    pub fn new(outs: EventList<Out>, bases: Bases) -> Self {
        let chunks = outs.mark_count();
        let shared = Arc::new(Shared { outs, bases, chunks, next: AtomicUsize::new(0) });
        let helper = (chunks > 1 && super::worth_a_thread()).then(|| Helper::start(&shared)).flatten();
        ReadAhead { shared, want: 0, own: Vec::new(), pool: Vec::new(), helper }
    }

    /// The next chunk's events in order (`spent`, the last chunk's buffer,
    /// is used again); `None` after the last.
    pub fn next_chunk(&mut self, spent: Vec<Out>) -> Option<Vec<Out>> {
        if spent.capacity() > 0 {
            match &self.helper {
                Some(h) if self.pool.len() >= OWN_AHEAD => {
                    let _ = h.spent.try_send(spent);
                }
                _ => self.pool.push(spent),
            }
        }
        if self.want >= self.shared.chunks {
            if let Some(h) = self.helper.take() {
                // It sent every chunk it claimed: it did not panic.
                let _ = h.stop();
            }
            return None;
        }
        let want = self.want;
        self.want += 1;
        loop {
            if let Some(i) = self.own.iter().position(|(k, _)| *k == want) {
                return Some(self.own.swap_remove(i).1);
            }
            let Some(helper) = &self.helper else {
                // No helper: every chunk is claimed here, in order.
                let k = self.shared.claim()?;
                return Some(self.resolve_here(k));
            };
            // The helper claimed `want` or will; its chunks come in order.
            match helper.resolved.try_recv() {
                Ok((k, chunk)) => {
                    debug_assert_eq!(k, want);
                    return Some(chunk);
                }
                Err(TryRecvError::Empty) if self.own.len() < OWN_AHEAD => {
                    if let Some(k) = self.shared.claim() {
                        let chunk = self.resolve_here(k);
                        self.own.push((k, chunk));
                        continue;
                    }
                }
                Err(_) => {}
            }
            match helper.resolved.recv() {
                Ok((k, chunk)) => {
                    debug_assert_eq!(k, want);
                    return Some(chunk);
                }
                Err(_) => {
                    // The helper stopped without sending `want`: it panicked.
                    if let Some(h) = self.helper.take() {
                        if let Err(panic) = h.stop() {
                            std::panic::resume_unwind(panic);
                        }
                    }
                    unreachable!("the read-ahead helper ended early");
                }
            }
        }
    }

    fn resolve_here(&mut self, k: usize) -> Vec<Out> {
        let mut chunk = self.pool.pop().unwrap_or_default();
        self.shared.resolve(k, &mut chunk);
        chunk
    }
}

impl Helper {
    /// `None` when no thread can be started (the reader then resolves alone).
    fn start(shared: &Arc<Shared>) -> Option<Helper> {
        let (resolved_tx, resolved) = sync_channel(IN_FLIGHT);
        let (spent, spent_rx) = sync_channel::<Vec<Out>>(IN_FLIGHT + OWN_AHEAD);
        let shared = Arc::clone(shared);
        let thread = std::thread::Builder::new()
            .name("gotrace-read-ahead".into())
            .spawn(move || {
                while let Some(k) = shared.claim() {
                    let mut chunk = spent_rx.try_recv().unwrap_or_default();
                    shared.resolve(k, &mut chunk);
                    if resolved_tx.send((k, chunk)).is_err() {
                        // The reader was dropped.
                        return;
                    }
                }
            })
            .ok()?;
        Some(Helper { resolved, spent, thread })
    }

    /// Waits for the thread to end, which dropping the receiver first
    /// makes prompt (a helper blocked on sending stops).
    fn stop(self) -> std::thread::Result<()> {
        let Helper { resolved, spent, thread } = self;
        drop(resolved);
        drop(spent);
        thread.join()
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        if let Some(h) = self.helper.take() {
            // A panic there concerns chunks nobody will read.
            let _ = h.stop();
        }
    }
}

/// The events of a trace the parallel reader converted
/// ([`super::pipeline`]): records in final order, times in ticks, resolved
/// on two threads ([`ReadAhead`]) and made events here.
pub(crate) struct Converted<'a> {
    ahead: ReadAhead,
    /// The resolved events of the chunk being read, and the next one's index.
    chunk: Vec<Out>,
    next: usize,
    finish: Finish<'a>,
    /// Whether any event exists (the opening Sync's time is then -1).
    any: bool,
}

impl<'a> Converted<'a> {
    pub fn new(outs: EventList<Out>, any: bool, tables: Tables<'a>) -> Result<Self, Error> {
        let finish = Finish::new(tables)?;
        Ok(Converted { ahead: ReadAhead::new(outs, finish.bases()), chunk: Vec::new(), next: 0, finish, any })
    }

    pub fn table(&self) -> TableRef<'a> {
        self.finish.table()
    }

    pub fn last_ts(&self) -> i64 {
        self.finish.last_ts
    }

    /// Time of the first old event (always 0: times count from it).
    pub fn peek_time(&self) -> Option<i64> {
        self.any.then_some(0)
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    pub fn next(&mut self) -> Result<Option<Event<'a>>, Error> {
        loop {
            if let Some(r) = self.chunk.get(self.next) {
                self.next += 1;
                return Ok(Some(self.finish.hand_out(r)));
            }
            let Some(chunk) = self.ahead.next_chunk(std::mem::take(&mut self.chunk)) else {
                return Ok(None);
            };
            self.chunk = chunk;
            self.next = 0;
        }
    }
}
