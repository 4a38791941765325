-- Scheduling delay (runnable → running) by cause and stack, for the flame graph.
-- Each delay is charged as the delays view and sql/diff/sched.sql charge it: to the stack that made the goroutine
-- runnable (its creator or unblocker: made_runnable_by_stack_id), else to the goroutine's own stack when it was
-- preempted or yielded (own_stack_id; none after a blocked syscall); reason is the view's cause (created,
-- unblocked, preempted, yielded, syscall, ...). funcs: function names, leaf first. The transition into runnable is
-- found by its end time (each row starts where the goroutine's previous one ended) rather than with the view's
-- window over the whole table, which costs three times as much on a large trace.
with d as (
    select
        case e.from_state
            when 'notexist' then 'created'
            when 'waiting' then 'unblocked'
            when 'running' then case when e.reason = 'preempted' then 'preempted' else 'yielded' end
            when 'syscall' then 'syscall'
            when 'runnable' then 'rescheduled'
            else 'unknown'
        end as reason,
        case when e.from_state in ('notexist', 'waiting') then coalesce(e.src_stack_id, e.stack_id) else e.stack_id end
            as stack_id,
        r.duration_ns
    from g_transitions r
    left join g_transitions e
        on e.g = r.g and e.to_state = 'runnable' and e.end_time_ns = r.end_time_ns - r.duration_ns
    where r.from_state = 'runnable' and r.to_state = 'running'
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
