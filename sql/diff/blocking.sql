-- Blocking by wait reason and stack, for `schedstat diff`: every stretch a
-- goroutine spent waiting, charged to the reason and stack of the transition
-- that blocked it (running → waiting). Stacks are keyed by their function
-- names (leaf first), so the same code path matches across two traces.
-- A wait still in progress when the trace ends counts up to the last event
-- (still_waiting says how many); a goroutine already waiting when the trace
-- began has reason 'unknown' and is charged from the trace's start.
with t as (
    select value::bigint as last_ns from trace_info where key = 'last_time_ns'
),
blocks as (
    select b.g, b.end_time_ns as start_ns, coalesce(nullif(b.reason, ''), 'unknown') as reason, b.stack_id
    from g_transitions b
    where b.to_state = 'waiting'::state and b.from_state <> 'waiting'::state
),
waits as (
    select
        bl.reason,
        bl.stack_id,
        coalesce(w.end_time_ns, t.last_ns) - bl.start_ns as wait_ns,
        w.g is null as open
    from blocks bl
    cross join t
    left join g_transitions w
        on w.g = bl.g and w.from_state = 'waiting'::state and w.end_time_ns - w.duration_ns = bl.start_ns
),
by_stack as (
    select reason, stack_id, count(*) as count, sum(wait_ns) as total_ns, count(*) filter (where open) as still_waiting
    from waits
    group by reason, stack_id
),
named as (
    select reason, coalesce(stack_funcs(stack_id), []::varchar[]) as funcs, count, total_ns, still_waiting
    from by_stack
)
select reason, funcs, sum(count)::bigint as count, sum(total_ns)::bigint as total_ns, sum(still_waiting)::bigint as still_waiting
from named
group by reason, funcs
order by total_ns desc, reason, array_to_string(funcs, ';');
