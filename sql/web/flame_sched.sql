-- Scheduling delay (runnable → running) by cause and stack, for the flame graph.
-- Each delay is charged as the delays view and sql/diff/sched.sql charge it: to the stack that made the goroutine
-- runnable (its creator or unblocker: made_runnable_by_stack_id), else to the goroutine's own stack when it was
-- preempted or yielded (own_stack_id; none after a blocked syscall); reason is the view's cause (created,
-- unblocked, preempted, yielded, syscall, ...). funcs: function names, leaf first.
with d as (
    select cause as reason, coalesce(made_runnable_by_stack_id, own_stack_id) as stack_id, duration_ns
    from delays
),
by_stack as (
    select reason, stack_id, count(*) as count, sum(duration_ns) as total_ns
    from d
    group by reason, stack_id
)
select reason, coalesce(stack_funcs(stack_id), []::varchar[]) as funcs, sum(count)::bigint as count,
    sum(total_ns)::bigint as total_ns
from by_stack
group by reason, funcs
having sum(total_ns) > 0
order by total_ns desc, reason, array_to_string(funcs, ';');
