-- Completed waits on channel operations, for `schedstat doctor`'s
-- channel-bottleneck: every wait in chan send, chan receive or select (a
-- transition into waiting) paired with the transition that ended it
-- (waiting → runnable, by goroutine and time, as sync_unblockers.sql), grouped
-- by the blocking stack (function list, leaf first). Waits still open at the
-- end are left out, as pprof sync leaves them out: a goroutine that never
-- woke is a leak, not a queue. Per stack: distinct goroutines, waits, their
-- total, first start and last end, the goroutines that woke them (the other
-- side of the channel: how many, the most common waking stack) and the share
-- of the trace those goroutines spent running (the other side is the
-- bottleneck when it is busy).
with b as (
    select
        (select value::bigint from trace_info where key = 'first_time_ns') as t0,
        (select value::bigint from trace_info where key = 'last_time_ns') as t1
),
blocks as (
    select g, end_time_ns as t, reason, stack_id
    from g_transitions
    where to_state = 'waiting' and from_state <> 'waiting' and reason in ('chan send', 'chan receive', 'select')
),
wakes as (
    select g, end_time_ns - duration_ns as t, end_time_ns as e, duration_ns, src_g, src_stack_id
    from g_transitions
    where from_state = 'waiting' and to_state = 'runnable'
),
waits as (
    select
        coalesce(stack_funcs(bl.stack_id), []::varchar[]) as funcs,
        bl.reason, bl.g, w.t as s, w.e, w.duration_ns, w.src_g,
        coalesce(stack_funcs(w.src_stack_id), []::varchar[]) as waker_funcs
    from blocks bl
    join wakes w on w.g = bl.g and w.t = bl.t
),
per_stack as (
    select
        funcs,
        min(reason) as reason,
        count(distinct g) as goroutines,
        count(*) as waits,
        sum(duration_ns)::bigint as total_ns,
        min(s) as first_ns,
        max(e) as last_ns,
        count(distinct src_g) as wakers
    from waits
    group by funcs
),
top_waker as (
    select funcs, waker_funcs, count(*) as n
    from waits
    group by funcs, waker_funcs
),
waker_pick as (
    select funcs, arg_max(waker_funcs, n order by n, array_to_string(waker_funcs, ';') desc) as waker_funcs, max(n) as waker_count
    from (select funcs, waker_funcs, n from top_waker)
    group by funcs
),
waker_gs as (
    select distinct funcs, src_g from waits where src_g is not null
),
running as (
    select g, sum(duration_ns) as ns from g_transitions where from_state = 'running' group by g
),
waker_busy as (
    select wg.funcs, coalesce(sum(r.ns), 0)::bigint as running_ns
    from waker_gs wg
    left join running r on r.g = wg.src_g
    group by wg.funcs
)
select
    p.funcs, p.reason, p.goroutines, p.waits, p.total_ns, p.first_ns, p.last_ns,
    p.wakers, wp.waker_funcs, wp.waker_count,
    coalesce(wb.running_ns, 0)::bigint as wakers_running_ns,
    (select t1 - t0 from b) as span_ns
from per_stack p
left join waker_pick wp on wp.funcs = p.funcs
left join waker_busy wb on wb.funcs = p.funcs
order by p.total_ns desc, array_to_string(p.funcs, ';')
limit 20;
