-- Scheduling delay (runnable → running) by cause and stack, for
-- `schedstat diff`. Each delay is charged, much as go tool trace's scheduler
-- profile does, to the stack that made the goroutine runnable (the creator
-- or the unblocker), or to the goroutine's own stack when it was preempted
-- or yielded (none when it came back from a blocked syscall). Stacks are keyed by their
-- function names (leaf first), so the same code path matches across traces.
with d as (
    select cause as reason, coalesce(made_runnable_by_stack_id, own_stack_id) as stack_id, duration_ns
    from delays
),
by_stack as (
    select reason, stack_id, count(*) as count, sum(duration_ns) as total_ns
    from d
    group by reason, stack_id
),
named as (
    select reason, coalesce(stack_funcs(stack_id), []::varchar[]) as funcs, count, total_ns, 0 as still_waiting
    from by_stack
)
select reason, funcs, sum(count)::bigint as count, sum(total_ns)::bigint as total_ns, sum(still_waiting)::bigint as still_waiting
from named
group by reason, funcs
order by total_ns desc, reason, array_to_string(funcs, ';');
