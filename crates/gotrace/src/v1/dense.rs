//! A map keyed by goroutine or P IDs that is a plain vector while the IDs are
//! small, as they nearly always are: the old format's merge and checks look up
//! a goroutine's and a P's state several times per event, and a vector index
//! costs a fraction of a hash lookup. Large IDs (a long-lived server's
//! goroutine numbers, a hostile file's) fall back to a hash map.

use crate::table::IdMap;

/// IDs below this are stored in the vector (at most 4 Mi slots).
const DENSE_LIMIT: u64 = 1 << 22;

pub(crate) struct DenseMap<V> {
    dense: Vec<Option<V>>,
    sparse: IdMap<u64, V>,
}

impl<V> Default for DenseMap<V> {
    fn default() -> Self {
        DenseMap { dense: Vec::new(), sparse: IdMap::default() }
    }
}

impl<V> DenseMap<V> {
    #[inline]
    pub fn get(&self, k: u64) -> Option<&V> {
        if k < DENSE_LIMIT {
            self.dense.get(k as usize).and_then(Option::as_ref)
        } else {
            self.sparse.get(&k)
        }
    }

    #[inline]
    pub fn contains_key(&self, k: u64) -> bool {
        self.get(k).is_some()
    }

    /// Inserts, returning the previous value.
    #[inline]
    pub fn insert(&mut self, k: u64, v: V) -> Option<V> {
        if k < DENSE_LIMIT {
            let i = k as usize;
            if i >= self.dense.len() {
                self.dense.resize_with((i + 1).max(self.dense.len() * 2).min(DENSE_LIMIT as usize), || None);
            }
            self.dense[i].replace(v)
        } else {
            self.sparse.insert(k, v)
        }
    }

    #[inline]
    pub fn remove(&mut self, k: u64) -> Option<V> {
        if k < DENSE_LIMIT {
            self.dense.get_mut(k as usize).and_then(Option::take)
        } else {
            self.sparse.remove(&k)
        }
    }
}

impl<V: Copy + Default> DenseMap<V> {
    /// The value, or the default for a missing key (Go's map zero value).
    #[inline]
    pub fn get_or_default(&self, k: u64) -> V {
        self.get(k).copied().unwrap_or_default()
    }
}

/// A P's key: small for every P a real trace has, so that per-P state stays
/// in a short vector. Ps from 0 up come after the no-P value (-1, key 0) and
/// the fake Ps of [`super::spec::fake_p`] (keys 1 to 5); any other ID (only a
/// hostile file has one) gets a key of its own above 2^32.
#[inline]
pub(crate) fn p_key(p: i32) -> u64 {
    const FAKE_FIRST: i32 = super::spec::fake_p::TIMER;
    const FAKE_LAST: i32 = super::spec::fake_p::PROFILE;
    const FAKE_COUNT: u64 = (FAKE_LAST - FAKE_FIRST + 1) as u64;
    match p {
        -1 => 0,
        FAKE_FIRST..=FAKE_LAST => 1 + (p - FAKE_FIRST) as u64,
        0..FAKE_FIRST => 1 + FAKE_COUNT + p as u64,
        _ => (1 << 32) + u64::from(p as u32),
    }
}

/// A set of stack IDs: bits while the IDs are small (they are numbered from 1).
#[derive(Default)]
pub(crate) struct StackSet {
    bits: Vec<u64>,
    large: IdMap<u32, ()>,
}

impl StackSet {
    const DENSE_LIMIT: u32 = 1 << 24;

    pub fn insert(&mut self, id: u32) {
        if id < Self::DENSE_LIMIT {
            let word = (id / 64) as usize;
            if word >= self.bits.len() {
                self.bits.resize((word + 1).max(self.bits.len() * 2), 0);
            }
            self.bits[word] |= 1 << (id % 64);
        } else {
            self.large.insert(id, ());
        }
    }

    #[inline]
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub fn contains(&self, id: u32) -> bool {
        if id < Self::DENSE_LIMIT {
            self.bits.get((id / 64) as usize).is_some_and(|w| w & (1 << (id % 64)) != 0)
        } else {
            self.large.contains_key(&id)
        }
    }
}
