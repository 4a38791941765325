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
-- Every interval, split at the windows it spans (most stay in one): each
-- piece's window is computed, not joined for, so the cost is linear in the
-- intervals (a range join against the windows took seconds on big traces).
-- Only intervals that overlap [t0, end of the last window) are split, so the
-- integer divisions below never see a negative numerator but the start's
-- (clamped to window 0).
spans as (
    select 'waits' as what, s, e from waits
    union all select 'idle', s, e from idle
    union all select 'gc', s, e from gc
    union all select 'stw', s, e from stw
),
pieces as (
    select what, s, e,
        unnest(range(
            greatest((s - {{t0_ns}}) // {{window_ns}}, 0),
            least((e - 1 - {{t0_ns}}) // {{window_ns}}, ({{end_ns}} - {{t0_ns}}) // {{window_ns}}) + 1
        )) as win
    from spans
    where e > {{t0_ns}} and s < {{t0_ns}} + (({{end_ns}} - {{t0_ns}}) // {{window_ns}} + 1) * {{window_ns}}
),
overlap as (
    select what, win,
        sum(least(e, {{t0_ns}} + (win + 1) * {{window_ns}}) - greatest(s, {{t0_ns}} + win * {{window_ns}})) as ns
    from pieces
    group by what, win
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
