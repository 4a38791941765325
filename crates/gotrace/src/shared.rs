//! A shared pointer to a generation's table that is cheap to count on the
//! reader's thread.
//!
//! Every event keeps its generation's [`EvTable`] alive, so that events
//! outlive the reader's move to the next generation. With `Arc` that is an atomic increment when the reader hands an
//! event out and an atomic decrement when the consumer drops it: two locked
//! instructions per event, a large part of the whole per-event cost.
//!
//! Events are nearly always created and dropped on the reader's thread, so the
//! count is split in two ("biased reference counting"):
//! - `local`, a plain integer that only the owner thread (the reader's) touches,
//!   used for handles made or dropped there while the reader still holds the
//!   generation;
//! - `shared`, an atomic integer for everything else: handles cloned or dropped
//!   on other threads, and every handle once the reader has let go.
//!
//! The number of live handles is always `local + (shared - BIAS)` before the
//! reader lets go. `shared` starts at `BIAS`, far above any count a trace can
//! reach, so no thread can see it hit zero early. When the reader lets go it
//! moves `local` into `shared` in one atomic step and subtracts the bias;
//! from then on `shared` is the exact count, and whoever drops it to zero
//! frees the table, as with `Arc`.
//!
//! A thread is recognised by the address of a thread-local. Only one live
//! thread has a given address at a time, so `local` is never touched by two
//! threads at once; a thread that later reuses a dead owner's address finds
//! either `released` set (the reader was dropped) or a count nobody else
//! uses (the reader was leaked, and so is the table, as with a leaked `Arc`).
//! The owner is not `Send`, like the [`Reader`](crate::Reader) that holds it.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicI64, Ordering};

use crate::table::EvTable;

/// The reader's hold on a generation's table.
pub(crate) type TableOwner<'a> = Owner<EvTable<'a>>;
/// An event's pointer to its generation's table.
pub(crate) type TableRef<'a> = Handle<EvTable<'a>>;

/// Added to `shared` while the owner still counts locally. Before the owner
/// lets go, `shared - BIAS` only falls by handles made on the owner thread and
/// dropped elsewhere, at most one per event: no trace has 2^62 events. The
/// counts are 64-bit on every target (32-bit ones included) for that reason.
const BIAS: i64 = 1 << 62;

thread_local! {
    static MARKER: u8 = const { 0 };
}

/// An address unique to the calling thread among the threads alive now.
#[inline]
fn thread_marker() -> usize {
    MARKER.with(|m| m as *const u8 as usize)
}

struct Inner<T> {
    value: T,
    /// [`thread_marker`] of the owner thread.
    owner: usize,
    /// Handles counted by the owner thread; only that thread reads or writes it.
    local: Cell<i64>,
    /// Whether the owner has let go (moved `local` into `shared`); only the owner
    /// thread reads or writes it.
    released: Cell<bool>,
    /// Handles counted atomically, plus `BIAS` until the owner lets go.
    shared: AtomicI64,
}

impl<T> Inner<T> {
    /// True on the owner thread while it still counts locally.
    #[inline]
    fn counts_locally(&self) -> bool {
        // Only the owner thread gets past the first test, so only it reads `released`.
        self.owner == thread_marker() && !self.released.get()
    }

    /// Counts one more handle.
    #[inline]
    fn acquire(&self) {
        if self.counts_locally() {
            self.local.set(self.local.get() + 1);
        } else {
            let old = self.shared.fetch_add(1, Ordering::Relaxed);
            if old > i64::MAX - (1 << 32) {
                // As `Arc` does: that many handles can only come from a leak in a loop.
                std::process::abort();
            }
        }
    }
}

/// The owning side: made on the reader's thread, hands out [`Handle`]s and
/// lets go when dropped. Not `Send`: it counts on the thread that made it.
pub(crate) struct Owner<T> {
    ptr: NonNull<Inner<T>>,
    _owns: PhantomData<Inner<T>>,
}

impl<T> Owner<T> {
    pub fn new(value: T) -> Self {
        let inner = Box::new(Inner {
            value,
            owner: thread_marker(),
            local: Cell::new(0),
            released: Cell::new(false),
            shared: AtomicI64::new(BIAS),
        });
        Owner { ptr: NonNull::from(Box::leak(inner)), _owns: PhantomData }
    }

    /// A new handle.
    #[inline]
    pub fn handle(&self) -> Handle<T> {
        // SAFETY: the owner keeps the block alive (`shared` stays biased until it lets go).
        unsafe { self.ptr.as_ref() }.acquire();
        Handle { ptr: self.ptr, _owns: PhantomData }
    }
}

impl<T> Deref for Owner<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: as in `handle`.
        unsafe { &self.ptr.as_ref().value }
    }
}

impl<T> Drop for Owner<T> {
    fn drop(&mut self) {
        // SAFETY: as in `handle`. `Owner` is not `Send`, so this runs on the owner
        // thread, the only one that touches `local` and `released`.
        let inner = unsafe { self.ptr.as_ref() };
        debug_assert_eq!(inner.owner, thread_marker());
        inner.released.set(true);
        let delta = inner.local.get() - BIAS;
        let before = inner.shared.fetch_add(delta, Ordering::AcqRel);
        if before + delta == 0 {
            // SAFETY: no handle is left; AcqRel ordered their drops before this.
            unsafe { drop(Box::from_raw(self.ptr.as_ptr())) };
        }
    }
}

/// A counted pointer, like `Arc<T>`.
pub(crate) struct Handle<T> {
    ptr: NonNull<Inner<T>>,
    _owns: PhantomData<Inner<T>>,
}

// SAFETY: the value is only ever read through a handle; the counts are atomic,
// or touched only by the owner thread (`Inner::counts_locally`), wherever the
// handle goes. Hence the same bounds as `Arc<T>`.
unsafe impl<T: Send + Sync> Send for Handle<T> {}
// SAFETY: as above; `&Handle` allows reading the value and cloning.
unsafe impl<T: Send + Sync> Sync for Handle<T> {}

impl<T> Clone for Handle<T> {
    #[inline]
    fn clone(&self) -> Self {
        // SAFETY: this handle keeps the block alive.
        unsafe { self.ptr.as_ref() }.acquire();
        Handle { ptr: self.ptr, _owns: PhantomData }
    }
}

impl<T> Drop for Handle<T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: this handle keeps the block alive until the count says otherwise.
        let inner = unsafe { self.ptr.as_ref() };
        if inner.counts_locally() {
            // The owner still holds the value, so the count cannot reach zero here.
            inner.local.set(inner.local.get() - 1);
            return;
        }
        if inner.shared.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: this was the last handle and the owner has let go.
        unsafe { drop(Box::from_raw(self.ptr.as_ptr())) };
    }
}

impl<T> Deref for Handle<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this handle keeps the block alive.
        unsafe { &self.ptr.as_ref().value }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    /// Counts its drops.
    struct Probe(Arc<AtomicUsize>);

    impl Drop for Probe {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn probe() -> (Owner<Probe>, Arc<AtomicUsize>) {
        let n = Arc::new(AtomicUsize::new(0));
        (Owner::new(Probe(n.clone())), n)
    }

    #[test]
    fn freed_by_the_owner_when_no_handle_is_left() {
        let (owner, n) = probe();
        for _ in 0..100 {
            let h = owner.handle();
            let c = h.clone();
            std::thread::spawn(move || drop(c)).join().unwrap();
            drop(h);
        }
        assert_eq!(n.load(Ordering::SeqCst), 0);
        drop(owner);
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn freed_by_the_last_handle_on_the_owner_thread() {
        let (owner, n) = probe();
        let a = owner.handle();
        let b = a.clone();
        drop(owner);
        drop(a);
        assert_eq!(n.load(Ordering::SeqCst), 0);
        let c = b.clone();
        drop(b);
        assert_eq!(n.load(Ordering::SeqCst), 0);
        drop(c);
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn freed_by_the_last_handle_on_another_thread() {
        let (owner, n) = probe();
        let handles: Vec<_> = (0..64).map(|_| owner.handle()).collect();
        let threads: Vec<_> = handles
            .chunks(16)
            .map(|c| {
                let c: Vec<_> = c.to_vec();
                std::thread::spawn(move || {
                    let more: Vec<_> = c.iter().map(Clone::clone).collect();
                    drop(c);
                    more
                })
            })
            .collect();
        let kept: Vec<_> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
        drop(handles);
        drop(owner);
        assert_eq!(n.load(Ordering::SeqCst), 0);
        std::thread::spawn(move || drop(kept)).join().unwrap();
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<TableRef<'static>>();
        check::<crate::Event<'static>>();
    }
}
