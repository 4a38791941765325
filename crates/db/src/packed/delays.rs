//! The rows of the `delays` view (sql/views.sql), derived from the packed
//! `g_transitions` the first time a query reads them: by the one pass of
//! [`schedstat_tables::delays`] (whose documentation says why and how), or,
//! where a trace breaks that pass's assumptions, by the view's join, here
//! with hash maps over all transitions.

use gotrace::table::IdMap;
use schedstat_tables::delays::{
    creation_of, delay_row, ChunkedDelays, DelayRow, DelaysFacts, Deriver, MadeRunnable, OutOfOrder, TransitionRow,
    CAUSES, COLUMN_NAMES,
};
use schedstat_tables::{GTransitions, State};

use super::{Output, PackedTable, BLOCK_ROWS};

/// The view's columns' types, in [`COLUMN_NAMES`]' order.
const COLUMN_TYPES: [Output; COLUMN_NAMES.len()] = [
    Output::BigInt,
    Output::BigInt,
    Output::BigInt,
    Output::BigInt,
    Output::BigInt,
    Output::Enum,
    Output::Enum,
    Output::BigInt,
    Output::UBigInt,
    Output::UBigInt,
    Output::BigInt,
    Output::UBigInt,
    Output::UBigInt,
];

/// Replaces the view of sql/views.sql by one over the derived rows. `cause`
/// is text in the view; the table function gives it as an enum.
pub(super) const VIEW: &str = "create or replace view delays as select g, start_time_ns, end_time_ns, \
    duration_ns, p, cause::varchar as cause, cause_reason, made_runnable_by_g, made_runnable_by_stack_id, \
    own_stack_id, creator_g, creator_stack_id, start_stack_id from schedstat_packed_delays();";

/// The rows of `delays` from the packed `g_transitions` `g`: by one pass in
/// transition order, or, when the trace does not allow that (or `by_join`),
/// by the view's join.
pub(super) fn derive(g: &PackedTable, by_join: bool) -> PackedTable {
    let preempted = preempted_of(g);
    let streamed = if by_join { None } else { packing(g, |rows| stream(g, preempted, rows)).ok() };
    streamed.unwrap_or_else(|| {
        packing(g, |rows| {
            join(g, preempted, rows);
            Ok::<(), std::convert::Infallible>(())
        })
        .unwrap_or_else(|never| match never {})
    })
}

/// The rows of `delays` derived as the transitions are appended, so that
/// the pass runs on the loading thread, beside the reading one, rather than
/// when the first query waits for it.
pub(super) struct WhileLoading {
    deriving: ChunkedDelays,
    table: PackedTable,
    rows: Vec<DelayRow>,
}

impl WhileLoading {
    pub(super) fn new(g: &PackedTable) -> Self {
        WhileLoading { deriving: ChunkedDelays::default(), table: table_for(g), rows: Vec::new() }
    }

    /// Derives the rows that the transitions of `t` (just packed into `g`,
    /// whose `reason` dictionary translates their reason codes) complete.
    pub(super) fn add(&mut self, g: &PackedTable, t: &GTransitions) {
        self.rows.clear();
        self.deriving.add(t, &mut self.rows);
        let translated = &g.get("reason").translated;
        for row in &mut self.rows {
            row[6] = row[6].map(|k| translated[k as usize]);
        }
        // Block by block, every column of a block while its rows are in
        // cache: a row is 13 values wide, and a pass per column over the
        // whole chunk read it from memory 13 times. The blocks are the ones
        // a column-wise push would make.
        for block in self.rows.chunks(BLOCK_ROWS) {
            for (k, c) in self.table.columns.iter_mut().enumerate() {
                c.push(block, |row| row[k]);
            }
        }
    }

    /// The derived table and what the transitions showed, once every
    /// transition is in; `None` when the trace broke the pass's assumptions.
    pub(super) fn finish(mut self, g: &PackedTable) -> Option<(PackedTable, DelaysFacts)> {
        let facts = self.deriving.facts()?;
        // The reason codes were translated as the dictionary grew.
        share_reasons(&mut self.table, g);
        self.table.seal();
        Some((self.table, facts))
    }
}

/// The table `derive` makes, without rows: what a query binds to before
/// anything is derived (DuckDB binds a view when it is created).
pub(super) fn empty(g: &PackedTable) -> PackedTable {
    let mut table = table_for(g);
    table.seal();
    table
}

/// The derived rows' table, empty; `cause_reason` has the type and codes of
/// `g`'s `reason`.
fn table_for(g: &PackedTable) -> PackedTable {
    let columns: Vec<(&'static str, Output)> = COLUMN_NAMES.into_iter().zip(COLUMN_TYPES).collect();
    let mut table = PackedTable::new("delays", &columns);
    for c in CAUSES {
        table.column("cause").code(c);
    }
    share_reasons(&mut table, g);
    table
}

/// Gives `table`'s `cause_reason` the dictionary and type of `g`'s `reason`,
/// whose codes it holds.
fn share_reasons(table: &mut PackedTable, g: &PackedTable) {
    let (reason, cause_reason) = (g.get("reason"), table.column("cause_reason"));
    cause_reason.dictionary = reason.dictionary.clone();
    cause_reason.enum_type = reason.enum_type.clone();
}

/// Runs `work`, packing the rows it adds on a second thread as it goes
/// (packing is about a third of the derivation, and DuckDB's other threads
/// wait while a table function initialises).
fn packing<E: Send>(g: &PackedTable, work: impl FnOnce(&mut Rows) -> Result<(), E>) -> Result<PackedTable, E> {
    let (full, to_pack) = std::sync::mpsc::sync_channel::<Vec<DelayRow>>(2);
    let (give_back, given_back) = std::sync::mpsc::channel::<Vec<DelayRow>>();
    std::thread::scope(|s| {
        let packer = s.spawn(move || {
            let mut table = table_for(g);
            for block in to_pack {
                for (k, c) in table.columns.iter_mut().enumerate() {
                    c.push(&block, |row| row[k]);
                }
                let _ = give_back.send(block);
            }
            table.seal();
            table
        });
        let mut rows = Rows { pending: Vec::with_capacity(BLOCK_ROWS), full, given_back };
        let done = work(&mut rows);
        rows.flush();
        drop(rows);
        let table = packer.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        done.map(|()| table)
    })
}

/// The code of the reason `preempted` in `g`'s dictionary, if the trace has it
/// (the states' codes are [`State::code`]: see `PackedTables::new`).
fn preempted_of(g: &PackedTable) -> Option<i64> {
    g.get("reason").codes.get("preempted").copied()
}

/// The `g_transitions` columns a [`TransitionRow`] is read from, in its order.
const READ: [&str; 10] =
    ["g", "from_state", "to_state", "reason", "duration_ns", "end_time_ns", "stack_id", "src_stack_id", "src_g", "src_p"];

/// Calls `visit` on every transition of `g` in order, until it fails.
fn each_transition<E>(g: &PackedTable, mut visit: impl FnMut(&TransitionRow) -> Result<(), E>) -> Result<(), E> {
    let columns = READ.map(|name| g.get(name));
    let mut cols = [[0i64; BLOCK_ROWS]; READ.len()];
    let mut valid: [Option<[u64; BLOCK_ROWS / 64]>; READ.len()] = [None; READ.len()];
    for b in 0..g.blocks() {
        for (k, c) in columns.iter().enumerate() {
            valid[k] = c.read_block(b, &mut cols[k]);
        }
        let is = |k: usize, r: usize| valid[k].as_ref().map_or(true, |w| w[r / 64] >> (r % 64) & 1 == 1);
        let opt = |k: usize, r: usize| is(k, r).then_some(cols[k][r]);
        for r in 0..columns[0].blocks[b].rows as usize {
            visit(&TransitionRow {
                g: opt(0, r),
                from: cols[1][r],
                to: cols[2][r],
                reason: opt(3, r),
                duration: cols[4][r],
                end: cols[5][r],
                stack: opt(6, r),
                src_stack: opt(7, r),
                src_g: opt(8, r),
                src_p: opt(9, r),
            })?;
        }
    }
    Ok(())
}

/// The derived rows, sent in blocks to be packed (see [`packing`]).
struct Rows {
    pending: Vec<DelayRow>,
    full: std::sync::mpsc::SyncSender<Vec<DelayRow>>,
    /// Blocks packed, to be filled again.
    given_back: std::sync::mpsc::Receiver<Vec<DelayRow>>,
}

impl Rows {
    fn add(&mut self, row: DelayRow) {
        self.pending.push(row);
        if self.pending.len() == BLOCK_ROWS {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut next = self.given_back.try_recv().unwrap_or_else(|_| Vec::with_capacity(BLOCK_ROWS));
        next.clear();
        let block = std::mem::replace(&mut self.pending, next);
        // The packer only stops when this side hangs up.
        let _ = self.full.send(block);
    }
}

/// The one pass in transition order, adding to `out`; stops where the
/// trace breaks its assumptions.
fn stream(g: &PackedTable, preempted: Option<i64>, out: &mut Rows) -> Result<(), OutOfOrder> {
    let mut deriver = Deriver::default();
    each_transition(g, |t| deriver.feed(preempted, t, &mut |row| out.add(row)))
}

/// The view's join, for any order of transitions: every transition into
/// runnable by goroutine and end time, every goroutine's creation, then one
/// row per delay and matching transition, added to `out`.
fn join(g: &PackedTable, preempted: Option<i64>, out: &mut Rows) {
    let mut into_runnable: IdMap<(i64, i64), Vec<MadeRunnable>> = IdMap::default();
    // Per goroutine and field: the earliest non-NULL value, with its time.
    let mut creations: IdMap<i64, [Option<(i64, i64)>; 3]> = IdMap::default();
    each_transition(g, |t| {
        let Some(id) = t.g else { return Ok(()) };
        if t.to == State::Runnable.code() {
            into_runnable.entry((id, t.end)).or_default().push(MadeRunnable::of(t));
        }
        if t.from == State::NotExist.code() {
            let fields = creations.entry(id).or_default();
            for (field, value) in fields.iter_mut().zip(creation_of(t)) {
                if let Some(v) = value {
                    if field.map_or(true, |(at, _)| t.end < at) {
                        *field = Some((t.end, v));
                    }
                }
            }
        }
        Ok::<(), std::convert::Infallible>(())
    })
    .unwrap_or_else(|never| match never {});
    each_transition(g, |t| {
        if t.from != State::Runnable.code() || t.to != State::Running.code() {
            return Ok(());
        }
        let c = t.g.and_then(|id| creations.get(&id)).map(|f| f.map(|v| v.map(|(_, v)| v)));
        let start = t.end.wrapping_sub(t.duration);
        match t.g.and_then(|id| into_runnable.get(&(id, start))) {
            Some(es) => es.iter().for_each(|e| out.add(delay_row(preempted, t, Some(e), c.as_ref()))),
            None => out.add(delay_row(preempted, t, None, c.as_ref())),
        }
        Ok::<(), std::convert::Infallible>(())
    })
    .unwrap_or_else(|never| match never {});
}
