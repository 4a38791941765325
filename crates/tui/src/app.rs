//! The UI's state: what has arrived from the loading thread, which tab is
//! open, what is selected in each, the timeseries cursor, the timeline's view
//! and the SQL tab's input and history. Drawing reads it (`views`), keys
//! change it (`keys`).

use analysis::goroutines::{GoroutineSummary, Group};
use schedstat_query::QueryResult;
use schedstat_report::doctor::Diagnosis;
use schedstat_report::Report;

use crate::data::{Analyses, Basics, Update};
use crate::theme::Theme;
use crate::timeline::{Grid, Lane, View};

/// The tabs, in the order the tab bar lists them (each opened by [`Tab::key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Latency and runnable spikes; Enter opens one.
    Spikes,
    /// The worst delays with the `--why` verdicts.
    Delays,
    /// Goroutines with the most scheduling wait.
    Waiters,
    /// Goroutine groups → a group → one goroutine.
    Goroutines,
    /// The four blocking profiles.
    Profiles,
    /// GC pauses, mark phases, MMU.
    Gc,
    /// Goroutines blocked at the end.
    Leaks,
    /// The doctor's findings.
    Doctor,
    /// p99 and runnable goroutines per window, with the window cursor.
    Timeseries,
    /// Ps and busy goroutines over time.
    Timeline,
    /// Queries on the trace's database.
    Sql,
}

impl Tab {
    /// Every tab in order.
    pub const ALL: [Tab; 11] = [
        Tab::Spikes,
        Tab::Delays,
        Tab::Waiters,
        Tab::Goroutines,
        Tab::Profiles,
        Tab::Gc,
        Tab::Leaks,
        Tab::Doctor,
        Tab::Timeseries,
        Tab::Timeline,
        Tab::Sql,
    ];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Spikes => "Spikes",
            Tab::Delays => "Delays",
            Tab::Waiters => "Waiters",
            Tab::Goroutines => "Goroutines",
            Tab::Profiles => "Profiles",
            Tab::Gc => "GC",
            Tab::Leaks => "Leaks",
            Tab::Doctor => "Doctor",
            Tab::Timeseries => "Series",
            Tab::Timeline => "Timeline",
            Tab::Sql => "SQL",
        }
    }

    /// The key that opens it: `1`–`9` and `0` in order, `:` for SQL (as a prompt is opened in vi and less).
    pub fn key(self) -> char {
        match self {
            Tab::Spikes => '1',
            Tab::Delays => '2',
            Tab::Waiters => '3',
            Tab::Goroutines => '4',
            Tab::Profiles => '5',
            Tab::Gc => '6',
            Tab::Leaks => '7',
            Tab::Doctor => '8',
            Tab::Timeseries => '9',
            Tab::Timeline => '0',
            Tab::Sql => ':',
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// How the spikes table is ordered (`s` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpikeSort {
    /// By the report's number (worst first, as the report lists them).
    Rank,
    /// By time.
    Time,
    /// By value (p99 for latency spikes, runnable peak for runnable ones), largest first.
    Value,
}

impl SpikeSort {
    /// The name shown in the table's title.
    pub fn name(self) -> &'static str {
        match self {
            SpikeSort::Rank => "rank",
            SpikeSort::Time => "time",
            SpikeSort::Value => "value",
        }
    }
}

/// Where the goroutines tab is.
#[derive(Debug, Clone, PartialEq)]
pub enum GoroutineLevel {
    /// The groups by start function.
    Groups,
    /// One group's goroutines.
    Group(String),
    /// One goroutine (the group it was opened from).
    One(String, i64),
}

/// The SQL tab.
#[derive(Debug, Default)]
pub struct SqlTab {
    /// The statement being typed.
    pub input: String,
    /// Earlier statements, oldest first.
    pub history: Vec<String>,
    /// Position while walking the history with ↑/↓ (None: the new input).
    pub history_pos: Option<usize>,
    /// The last answer (rows or error) and how long it took.
    pub result: Option<(Result<QueryResult, String>, std::time::Duration)>,
    /// First row shown.
    pub scroll: usize,
    /// First column shown.
    pub col_scroll: usize,
    /// A query is running.
    pub running: bool,
    /// Keys go to the input (Esc leaves it, so `q` and the tab keys work again).
    pub editing: bool,
}

/// Everything the UI shows and remembers.
pub struct App {
    /// The open tab.
    pub tab: Tab,
    /// The quick pass's bytes done of the total, and events read (before the first screen).
    pub progress: (u64, u64, u64),
    /// Events the loading pass has read into the analyses and the database.
    pub loaded_events: u64,
    /// Trace facts, once read.
    pub basics: Option<Basics>,
    /// Event analyses, once read.
    pub analyses: Option<Analyses>,
    /// The report, or why it failed.
    pub report: Option<Result<Report, String>>,
    /// The doctor's findings, or why they failed.
    pub doctor: Option<Result<Diagnosis, String>>,
    /// Loading failed.
    pub failed: Option<String>,
    /// Selected row per tab (and per level in the goroutines tab: see `goroutine_rows`).
    pub selected: [usize; 11],
    /// The spikes table's order.
    pub spike_sort: SpikeSort,
    /// The spike opened with Enter (its report number and kind).
    pub spike_open: Option<(usize, &'static str)>,
    /// The goroutines tab's level.
    pub goroutine_level: GoroutineLevel,
    /// `Summary::groups()`, computed once when the analyses arrive.
    pub groups: Vec<Group>,
    /// The open group's goroutine IDs in `Summary::group()`'s order, computed when it is opened.
    pub members: Vec<i64>,
    /// Selected rows at the goroutines tab's upper levels, to return to.
    pub goroutine_rows: Vec<usize>,
    /// The profile shown (index into `Analyses::profiles`).
    pub profile: usize,
    /// The timeseries cursor: a window number, filtering the spikes and delays tabs.
    pub window: Option<i64>,
    /// The timeline's view.
    pub view: Option<View>,
    /// The timeline's lanes and the grid they fill.
    pub lanes: Option<(Grid, Vec<Lane>)>,
    /// First lane shown.
    pub lane_scroll: usize,
    /// Columns the timeline had when last drawn (its lanes have as many buckets).
    pub timeline_width: usize,
    /// The SQL tab.
    pub sql: SqlTab,
    /// `?` pressed.
    pub help: bool,
    /// `q` pressed.
    pub quit: bool,
    /// Styles.
    pub theme: Theme,
}

impl App {
    /// An empty UI, waiting for the loading thread.
    pub fn new(theme: Theme) -> Self {
        App {
            tab: Tab::Spikes,
            progress: (0, 0, 0),
            loaded_events: 0,
            basics: None,
            analyses: None,
            report: None,
            doctor: None,
            failed: None,
            selected: [0; 11],
            spike_sort: SpikeSort::Rank,
            spike_open: None,
            goroutine_level: GoroutineLevel::Groups,
            groups: Vec::new(),
            members: Vec::new(),
            goroutine_rows: Vec::new(),
            profile: 1,
            window: None,
            view: None,
            lanes: None,
            lane_scroll: 0,
            timeline_width: 0,
            sql: SqlTab::default(),
            help: false,
            quit: false,
            theme,
        }
    }

    /// Takes in one message from the loading thread.
    pub fn update(&mut self, u: Update) {
        match u {
            Update::Progress { done, total, events } => self.progress = (done, total, events),
            Update::Summary(b) => {
                self.view = Some(View::whole(b.start_ns, b.end_ns));
                self.basics = Some(*b);
            }
            Update::Loading(events) => self.loaded_events = events,
            Update::Read(a) => {
                self.groups = a.goroutines.groups();
                self.analyses = Some(*a);
            }
            Update::Report(r) => self.report = Some(r.map(|b| *b)),
            Update::Doctor(d) => self.doctor = Some(d.map(|b| *b)),
            Update::Failed(m) => self.failed = Some(m),
            Update::Answer { result, elapsed } => {
                self.sql.running = false;
                self.sql.scroll = 0;
                self.sql.col_scroll = 0;
                self.sql.result = Some((result, elapsed));
            }
        }
    }

    /// The report, when it has arrived and succeeded.
    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref().and_then(|r| r.as_ref().ok())
    }

    /// The selected row of the open tab.
    pub fn sel(&self) -> usize {
        self.selected[self.tab.index()]
    }

    /// Sets the selected row of the open tab, kept below `len`.
    pub fn set_sel(&mut self, row: usize, len: usize) {
        self.selected[self.tab.index()] = row.min(len.saturating_sub(1));
    }

    /// Absolute ns span of the timeseries cursor's window, if one is selected.
    pub fn window_span(&self) -> Option<(i64, i64)> {
        let (r, w) = (self.report()?, self.window?);
        let from = r.t0_ns + w * r.options.window_ns;
        Some((from, from + r.options.window_ns))
    }

    /// The spikes rows in the table's order: (number, kind, window, start ms, value text, value for sorting).
    pub fn spike_rows(&self) -> Vec<SpikeRow> {
        let Some(r) = self.report() else { return Vec::new() };
        let mut rows: Vec<SpikeRow> = r
            .latency_spikes
            .iter()
            .map(|s| SpikeRow {
                index: s.index,
                kind: "latency",
                window: s.window,
                start_ms: s.start_ms,
                value: s.p99_ns,
                shown: format!("p99 {}", crate::fmt::dur(s.p99_ns)),
                extra: format!("{} delays, max {}", s.events, crate::fmt::dur_i(s.max_ns)),
            })
            .chain(r.runnable_spikes.iter().map(|s| SpikeRow {
                index: s.index,
                kind: "runnable",
                window: s.window,
                start_ms: s.start_ms,
                value: s.peak as f64,
                shown: format!("peak {} runnable", s.peak),
                extra: String::new(),
            }))
            .filter(|s| self.window.is_none_or(|w| w == s.window))
            .collect();
        match self.spike_sort {
            SpikeSort::Rank => rows.sort_by_key(|s| (s.kind != "latency", s.index)),
            SpikeSort::Time => rows.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms).then(a.index.cmp(&b.index))),
            SpikeSort::Value => rows.sort_by(|a, b| {
                (a.kind != "latency").cmp(&(b.kind != "latency")).then(b.value.total_cmp(&a.value))
            }),
        }
        rows
    }

    /// Opens a group: remembers its goroutines in `Summary::group()`'s order (longest total first).
    pub fn open_group(&mut self, name: &str) {
        self.members = self.analyses.as_ref().map_or_else(Vec::new, |a| a.goroutines.group(name).iter().map(|g| g.id).collect());
    }

    /// The open group's goroutines in `range` of its list.
    pub fn members(&self, range: std::ops::Range<usize>) -> Vec<&GoroutineSummary> {
        let Some(a) = &self.analyses else { return Vec::new() };
        self.members.get(range).unwrap_or_default().iter().filter_map(|id| a.goroutines.goroutines.get(id).map(|g| &**g)).collect()
    }

    /// Fills the timeline's lanes for its view and width when either changed
    /// (from memory: [`crate::timeline::Runs`]); true when it did.
    pub fn refresh_lanes(&mut self) -> bool {
        if self.tab != Tab::Timeline || self.timeline_width == 0 {
            return false;
        }
        let (Some(view), Some(a)) = (self.view, &self.analyses) else { return false };
        let grid = view.grid(self.timeline_width);
        if self.lanes.as_ref().is_some_and(|(g, _)| *g == grid) {
            return false;
        }
        let lanes = a.timeline.lanes(&grid, crate::timeline::GOROUTINE_LANES);
        self.lane_scroll = self.lane_scroll.min(lanes.len().saturating_sub(1));
        self.lanes = Some((grid, lanes));
        true
    }

    /// How far the loading pass has got, for the tabs that wait for it: "43% (2.4 M of 5.7 M events)".
    pub fn loading_progress(&self) -> String {
        let total = self.basics.as_ref().map_or(0, |b| b.events);
        let done = self.loaded_events.min(total);
        let pct = if total > 0 { done as f64 * 100.0 / total as f64 } else { 0.0 };
        format!("{pct:.0}% ({} of {} events)", crate::fmt::count(done), crate::fmt::count(total))
    }
}

/// One row of the spikes table.
#[derive(Debug, Clone)]
pub struct SpikeRow {
    /// The report's number for the spike ([1], [2], ...).
    pub index: usize,
    /// `latency` or `runnable`, as in `SpikeDetail::kind`.
    pub kind: &'static str,
    /// Window number.
    pub window: i64,
    /// Window start, ms after t0.
    pub start_ms: f64,
    /// What the table sorts by.
    pub value: f64,
    /// The value as shown.
    pub shown: String,
    /// More about the window.
    pub extra: String,
}
