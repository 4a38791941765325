//! Go's `container/heap` algorithms over a slice, with the caller's "less".
//!
//! Where a heap's tie-breaking decides what users see (the order of same-time
//! events in the old format's merge, the MMU's worst windows), these follow
//! Go's sift rules exactly, so the same inputs come out in Go's order.

/// Moves element `j` up to its place.
pub fn up<T>(h: &mut [T], mut j: usize, less: &impl Fn(&T, &T) -> bool) {
    loop {
        let i = if j == 0 { 0 } else { (j - 1) / 2 };
        if i == j || !less(&h[j], &h[i]) {
            break;
        }
        h.swap(i, j);
        j = i;
    }
}

/// Moves element `i0` down within the first `n`; whether it moved.
pub fn down<T>(h: &mut [T], i0: usize, n: usize, less: &impl Fn(&T, &T) -> bool) -> bool {
    let mut i = i0;
    loop {
        let j1 = 2 * i + 1;
        if j1 >= n {
            break;
        }
        let mut j = j1;
        let j2 = j1 + 1;
        if j2 < n && less(&h[j2], &h[j1]) {
            j = j2;
        }
        if !less(&h[j], &h[i]) {
            break;
        }
        h.swap(i, j);
        i = j;
    }
    i > i0
}

/// Makes the slice a heap.
pub fn init<T>(h: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    let n = h.len();
    for i in (0..n / 2).rev() {
        down(h, i, n, less);
    }
}

/// Adds `x`.
pub fn push<T>(h: &mut Vec<T>, x: T, less: &impl Fn(&T, &T) -> bool) {
    h.push(x);
    let n = h.len() - 1;
    up(h, n, less);
}

/// Takes the least element.
pub fn pop<T>(h: &mut Vec<T>, less: &impl Fn(&T, &T) -> bool) -> Option<T> {
    if h.is_empty() {
        return None;
    }
    let n = h.len() - 1;
    h.swap(0, n);
    down(h, 0, n, less);
    h.pop()
}

/// Takes element `i`.
pub fn remove<T>(h: &mut Vec<T>, i: usize, less: &impl Fn(&T, &T) -> bool) -> Option<T> {
    let n = h.len() - 1;
    if n != i {
        h.swap(i, n);
        if !down(h, i, n, less) {
            up(h, i, less);
        }
    }
    h.pop()
}
