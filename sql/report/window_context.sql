-- Per window: how many goroutines waited to run on average, how many procs
-- sat idle meanwhile, and the GC's share (mark phases, stop-the-world pauses)
-- and the heap's peak. Idle procs while goroutines wait point at the
-- scheduler (wake-up latency, locked threads); GC share and heap point at
-- allocation pressure. Parameters: t0_ns, window_ns, end_ns.
with bounds as (
    select
        range as win,
        {{t0_ns}} + range * {{window_ns}} as lo,
        {{t0_ns}} + (range + 1) * {{window_ns}} as hi
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
-- Each interval adds its part of the window where it starts and of the one
-- where it ends, and a whole window to each between: +1 after its first
-- window and -1 at its last, summed in window order (no row per piece: that
-- cost seconds on big traces). Only intervals overlapping [t0, end of the
-- last window) count: no negative numerator to divide but the start's.
spans as (
    select 'waits' as what, s, e from waits
    union all select 'idle', s, e from idle
    union all select 'gc', s, e from gc
    union all select 'stw', s, e from stw
),
placed as (
    select what, s, e,
        greatest((s - {{t0_ns}}) // {{window_ns}}, 0) as first_win,
        least((e - 1 - {{t0_ns}}) // {{window_ns}}, ({{end_ns}} - {{t0_ns}}) // {{window_ns}}) as last_win
    from spans
    where e > {{t0_ns}} and s < {{t0_ns}} + (({{end_ns}} - {{t0_ns}}) // {{window_ns}} + 1) * {{window_ns}}
),
ends as (
    select what, first_win, last_win,
        least(e, {{t0_ns}} + (first_win + 1) * {{window_ns}}) - greatest(s, {{t0_ns}} + first_win * {{window_ns}}) as first_ns,
        case when last_win > first_win
            then least(e, {{t0_ns}} + (last_win + 1) * {{window_ns}}) - greatest(s, {{t0_ns}} + last_win * {{window_ns}})
            else 0 end as last_ns,
        (last_win > first_win + 1)::bigint as between
    from placed
    where first_win <= last_win
),
by_end as (
    select what, first_win, last_win, grouping(last_win) = 1 as by_first,
        sum(first_ns) as first_ns, sum(last_ns) as last_ns, sum(between) as between
    from ends
    group by grouping sets ((what, first_win), (what, last_win))
),
steps as (
    select what, first_win as win, first_ns as ns, 0 as step from by_end where by_first
    union all select what, first_win + 1, 0, between from by_end where by_first and between > 0
    union all select what, last_win, last_ns, -between from by_end where not by_first
),
per_window as (
    select what, win, sum(ns) as ns, sum(step) as step from steps group by what, win
),
overlap as (
    select what, win, ns + {{window_ns}} * sum(step) over (partition by what order by win) as ns
    from (
        select w.what, b.win, coalesce(p.ns, 0) as ns, coalesce(p.step, 0) as step
        from bounds b
        cross join (values ('waits'), ('idle'), ('gc'), ('stw')) w(what)
        left join per_window p on p.what = w.what and p.win = b.win
    )
),
heap as (
    select b.win, max(m.value) as heap_max
    from bounds b join metrics m on m.end_time_ns >= b.lo and m.end_time_ns < b.hi
    where m.name = '/memory/classes/heap/objects:bytes'
    group by b.win
)
select
    b.win,
    coalesce(sum(o.ns) filter (where o.what = 'waits'), 0) / {{window_ns}} as avg_runnable,
    coalesce(sum(o.ns) filter (where o.what = 'idle'), 0) / {{window_ns}} as avg_idle_procs,
    coalesce(sum(o.ns) filter (where o.what = 'gc'), 0) / {{window_ns}} as gc_share,
    coalesce(sum(o.ns) filter (where o.what = 'stw'), 0) as stw_ns,
    any_value(h.heap_max) as heap_max_bytes
from bounds b
left join overlap o on o.win = b.win
left join heap h on h.win = b.win
group by b.win
order by b.win;
