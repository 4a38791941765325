//! Per-generation lookup tables: strings, stacks and frames.
//!
//! IDs are only meaningful inside one generation, so each generation gets a
//! fresh [`EvTable`]; events keep a shared pointer to the table of the
//! generation they came from, which lets them outlive the reader's move to
//! the next generation without copying any string.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast hasher for integer keys (IDs and PCs are not attacker-chosen in a way
/// that matters here: the worst case is a slower read of a hostile file).
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

/// A hash map keyed by integer IDs.
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// An ID-keyed table that is dense when the IDs are (they almost always are).
///
/// ID 0 is always present and means "none" (the empty string, the empty stack).
#[derive(Debug, Clone)]
pub struct DataTable<T> {
    dense: Vec<Option<T>>,
    sparse: IdMap<u64, T>,
}

impl<T> Default for DataTable<T> {
    fn default() -> Self {
        DataTable { dense: Vec::new(), sparse: IdMap::default() }
    }
}

impl<T: Clone> DataTable<T> {
    /// Adds an entry; a second entry with the same ID is an error, as in Go.
    pub fn insert(&mut self, id: u64, value: T) -> Result<(), ()> {
        if id == 0 || self.get(id).is_some() {
            return Err(());
        }
        self.sparse.insert(id, value);
        Ok(())
    }

    /// Moves entries into a dense vector when the IDs are compact enough.
    pub fn compactify(&mut self) {
        if self.sparse.is_empty() || !self.dense.is_empty() {
            return;
        }
        let n = self.sparse.len() as u64;
        let max = *self.sparse.keys().max().unwrap_or(&0);
        if max > 2 * n + 64 {
            return;
        }
        let mut dense = vec![None; max as usize + 1];
        for (id, v) in self.sparse.drain() {
            dense[id as usize] = Some(v);
        }
        self.dense = dense;
    }

    /// Looks an ID up; `None` when it is not in the table (ID 0 is handled by callers).
    #[inline]
    pub fn get(&self, id: u64) -> Option<&T> {
        if let Some(slot) = self.dense.get(id as usize) {
            return slot.as_ref();
        }
        self.sparse.get(&id)
    }

    /// Visits every entry (order unspecified).
    pub fn for_each(&self, mut f: impl FnMut(u64, &T) -> bool) -> bool {
        for (id, v) in self.dense.iter().enumerate() {
            if let Some(v) = v {
                if !f(id as u64, v) {
                    return false;
                }
            }
        }
        for (id, v) in &self.sparse {
            if !f(*id, v) {
                return false;
            }
        }
        true
    }
}

/// A frame record as the stack table stores it (strings still as IDs).
#[derive(Debug, Clone, Copy)]
pub struct RawFrame {
    /// Program counter.
    pub pc: u64,
    /// String ID of the function name.
    pub func: u64,
    /// String ID of the file name.
    pub file: u64,
    /// Line number.
    pub line: u64,
}

/// A stack as a range of PCs in [`EvTable::stack_pcs`].
#[derive(Debug, Clone, Copy)]
pub struct StackRef {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

/// A clock snapshot from a 1.25+ sync batch.
#[derive(Debug, Clone, Copy)]
pub struct RawClockSnapshot {
    /// Trace clock at the snapshot, in ticks.
    pub ticks: u64,
    /// Runtime monotonic clock (nanotime) in ns.
    pub mono: u64,
    /// Wall clock seconds since the Unix epoch.
    pub sec: u64,
    /// Wall clock nanoseconds.
    pub nsec: u64,
}

/// One experimental batch, handed to consumers untouched.
#[derive(Debug, Clone, Copy)]
pub struct ExperimentalBatch<'a> {
    /// Thread that wrote it.
    pub thread: i64,
    /// Raw payload.
    pub data: &'a [u8],
}

/// Everything IDs in one generation resolve against.
#[derive(Debug, Default)]
pub struct EvTable<'a> {
    /// Nanoseconds per tick.
    pub(crate) freq: f64,
    pub(crate) strings: DataTable<&'a [u8]>,
    pub(crate) stacks: DataTable<StackRef>,
    pub(crate) stack_pcs: Vec<u64>,
    pub(crate) pcs: IdMap<u64, RawFrame>,
    pub(crate) clock: Option<RawClockSnapshot>,
    pub(crate) exp_batches: Vec<(u8, Vec<ExperimentalBatch<'a>>)>,
}

impl<'a> EvTable<'a> {
    /// A string by ID; ID 0 is the empty string.
    #[inline]
    pub fn string(&self, id: u64) -> Option<&'a [u8]> {
        if id == 0 {
            return Some(b"");
        }
        self.strings.get(id).copied()
    }

    /// The PCs of a stack by ID, leaf first; ID 0 is the empty stack.
    #[inline]
    pub fn stack(&self, id: u64) -> Option<&[u64]> {
        if id == 0 {
            return Some(&[]);
        }
        let r = self.stacks.get(id)?;
        Some(&self.stack_pcs[r.start as usize..(r.start + r.len) as usize])
    }

    /// The frame recorded for a PC.
    #[inline]
    pub fn frame(&self, pc: u64) -> Option<&RawFrame> {
        self.pcs.get(&pc)
    }

    /// Converts ticks to nanoseconds exactly as Go does (float multiply, then truncate).
    #[inline]
    pub fn ticks_to_ns(&self, t: u64) -> i64 {
        ticks_to_ns(self.freq, t)
    }
}

/// Go's `Time(float64(t) * f)` including amd64's result for out-of-range values.
#[inline]
pub fn ticks_to_ns(ns_per_tick: f64, t: u64) -> i64 {
    go_f64_to_i64(t as f64 * ns_per_tick)
}

/// Converts like Go's `int64(x)` on amd64: truncation, and the "integer indefinite"
/// value for NaN and anything out of range.
#[inline]
pub fn go_f64_to_i64(x: f64) -> i64 {
    if x.is_nan() || x >= 9.223_372_036_854_775_807e18 || x < -9.223_372_036_854_775_808e18 {
        i64::MIN
    } else {
        x as i64
    }
}
