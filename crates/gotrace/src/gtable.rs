//! The goroutine table of the ordering: a small open-addressing hash map.
//!
//! Nearly every event looks a goroutine up by ID, and the lookup is on the
//! critical path of the next decision. `std`'s map (SwissTable) first reads a
//! control byte group and only then the key; this table reads the key directly,
//! probing linearly from a Fibonacci hash, which is one dependent load less and
//! small enough to inline. Live goroutines at any moment are few (thousands at
//! most), so the table stays small and cache-resident.
//!
//! Removed entries leave tombstones; the table is rebuilt (and sized to what is
//! live) when live entries and tombstones together fill 7/8 of it, so a lookup
//! always ends at an empty slot.

#[derive(Debug, Clone)]
enum Slot<V> {
    Empty,
    Tomb,
    Full(i64, V),
}

/// A map from goroutine ID to `V`, with the subset of `HashMap`'s API the ordering uses.
#[derive(Debug)]
pub(crate) struct GoTable<V> {
    slots: Vec<Slot<V>>,
    /// `64 - log2(slots.len())`: the hash's top bits index the table.
    shift: u32,
    live: usize,
    /// Live entries plus tombstones.
    used: usize,
    /// The slots before the last rebuild, kept for the next: a trace that
    /// creates and ends goroutines all along rebuilds often, and fresh
    /// memory each time cost page faults.
    spare: Vec<Slot<V>>,
}

impl<V> Default for GoTable<V> {
    fn default() -> Self {
        GoTable { slots: Vec::new(), shift: 64, live: 0, used: 0, spare: Vec::new() }
    }
}

const MIN_SLOTS: usize = 16;

impl<V> GoTable<V> {
    #[inline(always)]
    fn home(&self, key: i64) -> usize {
        ((key as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// The slot holding `key`, if any.
    #[inline(always)]
    fn find(&self, key: i64) -> Option<usize> {
        if self.live == 0 {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            match &self.slots[i] {
                Slot::Full(k, _) if *k == key => return Some(i),
                Slot::Empty => return None,
                _ => i = (i + 1) & mask,
            }
        }
    }

    #[inline(always)]
    pub fn get(&self, key: &i64) -> Option<&V> {
        match self.find(*key) {
            Some(i) => match &self.slots[i] {
                Slot::Full(_, v) => Some(v),
                _ => None,
            },
            None => None,
        }
    }

    #[inline(always)]
    pub fn get_mut(&mut self, key: &i64) -> Option<&mut V> {
        match self.find(*key) {
            Some(i) => match &mut self.slots[i] {
                Slot::Full(_, v) => Some(v),
                _ => None,
            },
            None => None,
        }
    }

    /// Inserts or replaces, like `HashMap::insert`.
    pub fn insert(&mut self, key: i64, value: V) -> Option<V> {
        match self.get_mut(&key) {
            Some(v) => Some(std::mem::replace(v, value)),
            None => {
                self.insert_new(key, value);
                None
            }
        }
    }

    /// Inserts `key` unless it is present (then returns false and leaves the
    /// table as it was): one probe where a lookup and `insert` take two, for
    /// goroutine creation, which must not find the ID.
    pub fn insert_new(&mut self, key: i64, value: V) -> bool {
        if (self.used + 1) * 8 > self.slots.len() * 7 {
            self.rebuild();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        let mut tomb = None;
        loop {
            match &self.slots[i] {
                Slot::Full(k, _) if *k == key => return false,
                Slot::Full(..) => {}
                Slot::Tomb => {
                    tomb.get_or_insert(i);
                }
                Slot::Empty => break,
            }
            i = (i + 1) & mask;
        }
        match tomb {
            Some(t) => i = t,
            None => self.used += 1,
        }
        self.slots[i] = Slot::Full(key, value);
        self.live += 1;
        true
    }

    pub fn remove(&mut self, key: &i64) -> Option<V> {
        let i = self.find(*key)?;
        self.live -= 1;
        match std::mem::replace(&mut self.slots[i], Slot::Tomb) {
            Slot::Full(_, v) => Some(v),
            _ => None,
        }
    }

    /// Re-inserts the live entries into a table twice their number (at least
    /// [`MIN_SLOTS`]), dropping tombstones, in the memory the last rebuild
    /// left (see `spare`).
    #[cold]
    fn rebuild(&mut self) {
        let want = ((self.live + 1) * 2).next_power_of_two().max(MIN_SLOTS);
        let mut old = std::mem::replace(&mut self.slots, std::mem::take(&mut self.spare));
        self.slots.clear();
        self.slots.resize_with(want, || Slot::Empty);
        self.shift = 64 - want.trailing_zeros();
        self.live = 0;
        self.used = 0;
        let mask = want - 1;
        for s in old.drain(..) {
            if let Slot::Full(k, v) = s {
                let mut i = self.home(k);
                while !matches!(self.slots[i], Slot::Empty) {
                    i = (i + 1) & mask;
                }
                self.slots[i] = Slot::Full(k, v);
                self.live += 1;
                self.used += 1;
            }
        }
        self.spare = old;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Random operations agree with `HashMap`, including IDs that collide.
    #[test]
    fn behaves_like_a_hash_map() {
        let mut ours = GoTable::default();
        let mut std = HashMap::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for step in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = match x % 4 {
                0 => (x >> 8) as i64,                       // anywhere
                1 => ((x >> 8) % 64) as i64,                // a small dense range
                2 => (((x >> 8) % 64) << 40) as i64,        // same low bits
                _ => -(((x >> 8) % 8) as i64),              // negatives, -1 included
            };
            match (x >> 3) % 5 {
                0 => assert_eq!(ours.insert(key, step), std.insert(key, step), "insert {key}"),
                1 => {
                    let new = !std.contains_key(&key);
                    if new {
                        std.insert(key, step);
                    }
                    assert_eq!(ours.insert_new(key, step), new, "insert_new {key}");
                }
                2 => assert_eq!(ours.remove(&key), std.remove(&key), "remove {key}"),
                3 => assert_eq!(ours.get(&key), std.get(&key), "get {key}"),
                _ => {
                    assert_eq!(ours.get(&key).is_some(), std.contains_key(&key));
                    if let (Some(a), Some(b)) = (ours.get_mut(&key), std.get_mut(&key)) {
                        *a += 1;
                        *b += 1;
                    }
                }
            }
            assert_eq!(ours.live, std.len());
        }
        for (k, v) in &std {
            assert_eq!(ours.get(k), Some(v));
        }
    }
}
