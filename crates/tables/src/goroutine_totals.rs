//! The `goroutine_totals` view's rows (sql/views.sql: each goroutine's first
//! stacks and its time in each state), summed chunk by chunk as the page's
//! reader builds `g_transitions`. On the page's one-threaded DuckDB-WASM the
//! view's group-by over every transition took about a second of the report;
//! the sums cost the reader an indexed lookup per row.

use crate::{ById, GTransitions, State};

/// One goroutine's row of `goroutine_totals`, in the view's column order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoroutineTotal {
    /// The goroutine (NULL where a transition named none).
    pub g: Option<i64>,
    /// The stack of its earliest transition that has one.
    pub first_stack: Option<u64>,
    /// The source stack of its earliest transition that has one.
    pub first_src_stack: Option<u64>,
    /// Whether a transition's reason was 'system goroutine wait'; NULL when
    /// none of its transitions had a reason (SQL's `bool_or` ignores NULLs).
    pub system_wait: Option<bool>,
    /// Time in each state (durations of the transitions out of it).
    pub running_ns: i64,
    /// See `running_ns`.
    pub runnable_ns: i64,
    /// See `running_ns`.
    pub syscall_ns: i64,
    /// See `running_ns`.
    pub waiting_ns: i64,
    /// Every transition's duration.
    pub total_ns: i64,
    /// Transitions.
    pub transitions: i64,
}

/// Sums `g_transitions` chunks into [`GoroutineTotal`]s. The builder appends
/// rows in event order, one event per row and each event later than the one
/// before, so "earliest" is "first seen".
#[derive(Default)]
pub struct GoroutineTotals {
    rows: Vec<GoroutineTotal>,
    /// Each goroutine's row, indexed as the builder's goroutine clock is.
    index: ById<Option<usize>>,
    /// The row of transitions without a goroutine, if any.
    no_goroutine: Option<usize>,
    /// The code of 'system goroutine wait' in the chunks' reasons, once seen
    /// (codes never change once given).
    system_wait: Option<u32>,
}

impl GoroutineTotals {
    /// Adds a chunk's rows.
    pub fn add(&mut self, t: &GTransitions) {
        if self.system_wait.is_none() {
            self.system_wait = t.reasons.iter().position(|r| r == "system goroutine wait").map(|k| k as u32);
        }
        for i in 0..t.g.len() {
            let next = self.rows.len();
            let at = match t.g[i] {
                Some(g) => match self.index.get(g) {
                    Some(k) => k,
                    None => {
                        self.index.replace(g, Some(next));
                        next
                    }
                },
                None => *self.no_goroutine.get_or_insert(next),
            };
            if at == next {
                self.rows.push(GoroutineTotal { g: t.g[i], ..GoroutineTotal::default() });
            }
            let r = &mut self.rows[at];
            r.first_stack = r.first_stack.or(t.stack_id[i]);
            r.first_src_stack = r.first_src_stack.or(t.src_stack_id[i]);
            if let Some(code) = t.reason[i] {
                r.system_wait = Some(r.system_wait == Some(true) || Some(code) == self.system_wait);
            }
            let d = t.duration_ns[i];
            match t.from_state[i] {
                State::Running => r.running_ns += d,
                State::Runnable => r.runnable_ns += d,
                State::Syscall => r.syscall_ns += d,
                State::Waiting => r.waiting_ns += d,
                _ => {}
            }
            r.total_ns += d;
            r.transitions += 1;
        }
    }

    /// The rows, one per goroutine, in the order goroutines first appeared.
    pub fn finish(self) -> Vec<GoroutineTotal> {
        self.rows
    }
}
