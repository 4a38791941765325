-- Per window: how many goroutines waited to run on average, how many procs
-- sat idle meanwhile, and the GC's share (mark phases, stop-the-world pauses)
-- and the heap's peak. Idle procs while goroutines wait point at the
-- scheduler (wake-up latency, locked threads); GC share and heap point at
-- allocation pressure. Parameters: t0_ns, window_ns, end_ns.
with bounds as (
    select range as win
    from range(0, ({{end_ns}} - {{t0_ns}}) // {{window_ns}} + 1)
),
waits as (
    select end_time_ns - duration_ns as s, end_time_ns as e
    from g_transitions
    where from_state = 'runnable'::state and to_state = 'running'::state
),
idle as (
    select end_time_ns - duration_ns as s, end_time_ns as e
    from p_transitions
    where from_state = 'idle'::state
),
gc as (
    select start_time_ns as s, end_time_ns as e
    from ranges
    where name = 'GC concurrent mark phase' and start_time_ns is not null and end_time_ns is not null
),
stw as (
    select start_time_ns as s, end_time_ns as e
    from ranges
    where name like 'stop-the-world (%' and start_time_ns is not null and end_time_ns is not null
),
-- The time intervals overlap a window sums to its integral of how many were
-- under way: as many as were under way at its start times its length, plus,
-- for each interval starting in it, the time from the start to the window's
-- end, minus the same for each ending in it. So each interval gives two
-- points (+1 at its start, -1 at its end, both clamped to the windows'
-- span), summed per window, and a running sum over windows: no per-interval
-- overlap arithmetic (that cost most of this query on big traces). An
-- interval ending before it starts counts only within one window.
spans as (
    select 0 as what, s, e from waits
    union all select 1, s, e from idle
    union all select 2, s, e from gc
    union all select 3, s, e from stw
),
clamped as (
    select what,
        greatest(s, {{t0_ns}}) - {{t0_ns}} as s,
        least(e, {{t0_ns}} + (({{end_ns}} - {{t0_ns}}) // {{window_ns}} + 1) * {{window_ns}}) - {{t0_ns}} as e
    from spans
    where e > {{t0_ns}} and s < {{t0_ns}} + (({{end_ns}} - {{t0_ns}}) // {{window_ns}} + 1) * {{window_ns}}
        and (s <= e or (s - {{t0_ns}}) // {{window_ns}} = (e - 1 - {{t0_ns}}) // {{window_ns}})
),
-- Grouped first by the windows an interval starts and ends in (a few
-- pairs), so nothing holds a row per interval.
per_pair as (
    select what, s // {{window_ns}} as start_win, e // {{window_ns}} as end_win, count(*) as n,
        sum({{window_ns}} - s % {{window_ns}}) as start_to_end, sum({{window_ns}} - e % {{window_ns}}) as end_to_end
    from clamped
    group by all
),
per_window as (
    select what, win, sum(n) as n, sum(ns) as ns
    from (
        select what, start_win as win, n, start_to_end as ns from per_pair
        union all
        select what, end_win, -n, -end_to_end from per_pair
    )
    group by all
),
overlap as (
    select what, win,
        ns + {{window_ns}} * coalesce(sum(n) over (partition by what order by win rows between unbounded preceding and 1 preceding), 0) as ns
    from (
        select w.what, b.win, coalesce(p.ns, 0) as ns, coalesce(p.n, 0) as n
        from bounds b
        cross join (values (0), (1), (2), (3)) w(what)
        left join per_window p on p.what = w.what and p.win = b.win
    )
),
-- Each sample's window by division, not by a range join against bounds
-- (that join cost 1.7 s of a 30 MB trace with 670 k samples); samples past
-- the last window find no row of bounds below. Integer division rounds
-- toward zero, so samples before t0_ns are left out here.
heap as (
    select (m.end_time_ns - {{t0_ns}}) // {{window_ns}} as win, max(m.value) as heap_max
    from metrics m
    where m.name = '/memory/classes/heap/objects:bytes' and m.end_time_ns >= {{t0_ns}}
    group by all
)
select
    b.win,
    coalesce(sum(o.ns) filter (where o.what = 0), 0) / {{window_ns}} as avg_runnable,
    coalesce(sum(o.ns) filter (where o.what = 1), 0) / {{window_ns}} as avg_idle_procs,
    coalesce(sum(o.ns) filter (where o.what = 2), 0) / {{window_ns}} as gc_share,
    coalesce(sum(o.ns) filter (where o.what = 3), 0) as stw_ns,
    any_value(h.heap_max) as heap_max_bytes
from bounds b
left join overlap o on o.win = b.win
left join heap h on h.win = b.win
group by b.win
order by b.win;
