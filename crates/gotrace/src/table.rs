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

/// A hash set of integer IDs.
pub type IdSet<K> = std::collections::HashSet<K, BuildHasherDefault<IdHasher>>;

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

    /// Whether an ID is in the table; the map is only consulted when the vector
    /// does not cover the ID (or holds the entries at all).
    #[inline]
    pub fn contains(&self, id: u64) -> bool {
        match self.dense.get(id as usize) {
            Some(slot) => slot.is_some(),
            None => !self.sparse.is_empty() && self.sparse.contains_key(&id),
        }
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

/// The IDs of a table's dense part as a bitset, ID 0 (always valid) included.
///
/// Checking an event's IDs against it takes no branch that depends on the
/// event's type, which keeps the per-event check cheap when types alternate.
/// A clear bit proves nothing (the ID may be in the sparse part): callers then
/// fall back to the table itself.
#[derive(Debug, Default, Clone)]
pub(crate) struct IdBits {
    words: Vec<u64>,
}

impl IdBits {
    pub fn of<T>(t: &DataTable<T>) -> Self {
        let mut words = vec![0u64; t.dense.len() / 64 + 1];
        words[0] = 1;
        for (id, slot) in t.dense.iter().enumerate() {
            if slot.is_some() {
                words[id / 64] |= 1 << (id % 64);
            }
        }
        IdBits { words }
    }

    /// Whether `id` is known to exist.
    #[inline(always)]
    pub fn has(&self, id: u64) -> bool {
        let word = usize::try_from(id / 64).ok().and_then(|w| self.words.get(w)).copied().unwrap_or(0);
        (word >> (id % 64)) & 1 != 0
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
    /// The dense stack IDs, for the per-event check (see [`IdBits`]).
    pub(crate) stack_bits: IdBits,
    /// The dense string IDs, likewise.
    pub(crate) string_bits: IdBits,
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

    /// Whether a string ID exists (ID 0 always does).
    #[inline]
    pub(crate) fn has_string(&self, id: u64) -> bool {
        id == 0 || self.strings.contains(id)
    }

    /// Whether a stack ID exists (ID 0 always does).
    #[inline]
    pub(crate) fn has_stack(&self, id: u64) -> bool {
        id == 0 || self.stacks.contains(id)
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

/// A generation's tick-to-nanosecond conversion, for the per-event path.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Clock {
    ns_per_tick: f64,
    /// `Some(k)` when a tick is exactly `2^k` ns with `k <= 9`. The runtime's
    /// trace clock is nanotime divided by 64 on most platforms, so this is the
    /// common case, and then `float64(t) * 2^k` is exactly `t << k` for
    /// `t < 2^53` (the product stays below 2^62): no floating point needed.
    shift: Option<u32>,
}

impl Clock {
    pub fn new(ns_per_tick: f64) -> Self {
        let shift = (0..=9).find(|&k| ns_per_tick == f64::from(1u32 << k));
        Clock { ns_per_tick, shift }
    }

    /// [`ticks_to_ns`], without floating point where that gives the same result.
    #[inline(always)]
    pub fn to_ns(self, t: u64) -> i64 {
        match self.shift {
            Some(k) if t < (1 << 53) => (t << k) as i64,
            _ => ticks_to_ns(self.ns_per_tick, t),
        }
    }
}

/// Go's `Time(float64(t) * f)` including amd64's result for out-of-range values.
#[inline]
pub fn ticks_to_ns(ns_per_tick: f64, t: u64) -> i64 {
    go_f64_to_i64(u64_to_f64(t) * ns_per_tick)
}

/// `t as f64`. Below 2^63 the signed conversion (one instruction on x86-64,
/// where the unsigned one is a sequence) gives the same value.
#[inline(always)]
fn u64_to_f64(t: u64) -> f64 {
    if (t as i64) >= 0 {
        (t as i64) as f64
    } else {
        t as f64
    }
}

/// Converts like Go's `int64(x)` on amd64: truncation, and the "integer indefinite"
/// value for NaN and anything out of range.
#[inline]
pub fn go_f64_to_i64(x: f64) -> i64 {
    #[cfg(target_arch = "x86_64")]
    {
        // CVTTSD2SI is what Go's int64(x) compiles to on amd64: it truncates,
        // and gives i64::MIN ("integer indefinite") for NaN and out-of-range
        // values, exactly the portable code below.
        #[allow(unused_unsafe)]
        // SAFETY: SSE2 is part of the x86-64 baseline.
        unsafe {
            std::arch::x86_64::_mm_cvttsd_si64(std::arch::x86_64::_mm_set_sd(x))
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        if x.is_nan() || x >= 9.223_372_036_854_775_807e18 || x < -9.223_372_036_854_775_808e18 {
            i64::MIN
        } else {
            x as i64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast conversions agree with the portable definitions.
    #[test]
    #[allow(clippy::excessive_precision, clippy::manual_range_contains)]
    fn conversions_match_go_semantics() {
        let portable = |x: f64| {
            if x.is_nan() || x >= 9.223_372_036_854_775_807e18 || x < -9.223_372_036_854_775_808e18 {
                i64::MIN
            } else {
                x as i64
            }
        };
        let xs = [
            0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1e18, -1e18, 9.223_372_036_854_775_807e18, -9.223_372_036_854_775_808e18,
            9.223_372_036_854_774e18, -9.223_372_036_854_777e18, 1e300, -1e300, f64::INFINITY, f64::NEG_INFINITY,
            f64::NAN, f64::MIN_POSITIVE, 4503599627370497.5,
        ];
        for x in xs {
            assert_eq!(go_f64_to_i64(x), portable(x), "{x}");
        }
        for t in [0u64, 1, 1 << 52, (1 << 53) - 1, 1 << 53, (1 << 53) + 1, (1 << 63) - 1, 1 << 63, u64::MAX, 0x8000_0000_0000_0401] {
            assert_eq!(u64_to_f64(t).to_bits(), (t as f64).to_bits(), "{t}");
            for f in [1.0, 0.5, 1.0 / 3.0, 2.0, 64.0, 512.0, 1024.0, 1e-9, 31.25] {
                assert_eq!(Clock::new(f).to_ns(t), ticks_to_ns(f, t), "{t} ticks at {f} ns/tick");
            }
        }
    }
}
