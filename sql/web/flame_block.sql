-- Blocking delay by wait reason and stack, for the flame graph.
-- Every finished wait (waiting → runnable) is charged to the reason and stack of the transition that blocked the
-- goroutine (running → waiting; 'unknown' for a goroutine already waiting when the trace began).
-- funcs: function names, leaf first.
with waits as (
    select coalesce(nullif(b.reason, ''), 'unknown') as reason, b.stack_id, w.duration_ns
    from g_transitions w
    left join g_transitions b
        on b.g = w.g and b.to_state = 'waiting'::state and b.end_time_ns = w.end_time_ns - w.duration_ns
    where w.from_state = 'waiting'::state and w.to_state = 'runnable'::state
),
by_stack as (
    select reason, stack_id, count(*) as count, sum(duration_ns) as total_ns
    from waits
    group by reason, stack_id
)
select reason, coalesce(stack_funcs(stack_id), []::varchar[]) as funcs, sum(count)::bigint as count,
    sum(total_ns)::bigint as total_ns
from by_stack
group by reason, funcs
having sum(total_ns) > 0
order by total_ns desc, reason, array_to_string(funcs, ';');
