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
    where to_state = 'waiting'::state and from_state <> 'waiting'::state and reason in ('chan send', 'chan receive', 'select')
),
wakes as (
    select g, end_time_ns - duration_ns as t, end_time_ns as e, duration_ns, src_g, src_stack_id
    from g_transitions
    where from_state = 'waiting'::state and to_state = 'runnable'::state
),
-- Stacks are named once each, not once per wait: each function list gets
-- the smallest stack ID that has it as its key, and waits are grouped by
-- keys (a list per wait held millions of lists at once).
named as (
    select stack_id, coalesce(stack_funcs(stack_id), []::varchar[]) as funcs
    from (
        select distinct stack_id from blocks
        union
        select distinct src_stack_id from wakes
    )
),
keyed as (
    select stack_id, funcs, min(stack_id) over (partition by funcs) as fkey from named
),
waits as (
    select
        k.fkey, bl.reason, bl.g, w.t as s, w.e, w.duration_ns, w.src_g, kw.fkey as waker_fkey
    from blocks bl
    join wakes w on w.g = bl.g and w.t = bl.t
    left join keyed k on k.stack_id is not distinct from bl.stack_id
    left join keyed kw on kw.stack_id is not distinct from w.src_stack_id
),
per_stack as (
    select
        fkey,
        min(reason) as reason,
        count(distinct g) as goroutines,
        count(*) as waits,
        sum(duration_ns)::bigint as total_ns,
        min(s) as first_ns,
        max(e) as last_ns,
        count(distinct src_g) as wakers
    from waits
    group by fkey
),
funcs_of as (
    select distinct fkey, funcs from keyed
),
top_waker as (
    select w.fkey, f.funcs as waker_funcs, count(*) as n
    from waits w
    left join funcs_of f on f.fkey is not distinct from w.waker_fkey
    group by w.fkey, f.funcs
),
waker_pick as (
    select fkey, arg_max(waker_funcs, n order by n, array_to_string(waker_funcs, ';') desc) as waker_funcs, max(n) as waker_count
    from (select fkey, waker_funcs, n from top_waker)
    group by fkey
),
waker_gs as (
    select distinct fkey, src_g from waits where src_g is not null
),
running as (
    select g, sum(duration_ns) as ns from g_transitions where from_state = 'running'::state group by g
),
waker_busy as (
    select wg.fkey, coalesce(sum(r.ns), 0)::bigint as running_ns
    from waker_gs wg
    left join running r on r.g = wg.src_g
    group by wg.fkey
)
select
    f.funcs, p.reason, p.goroutines, p.waits, p.total_ns, p.first_ns, p.last_ns,
    p.wakers, wp.waker_funcs, wp.waker_count,
    coalesce(wb.running_ns, 0)::bigint as wakers_running_ns,
    (select t1 - t0 from b) as span_ns
from per_stack p
join funcs_of f on f.fkey is not distinct from p.fkey
left join waker_pick wp on wp.fkey is not distinct from p.fkey
left join waker_busy wb on wb.fkey is not distinct from p.fkey
order by p.total_ns desc, array_to_string(f.funcs, ';')
limit 20;
