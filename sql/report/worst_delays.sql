-- The longest scheduling delays, with why each goroutine was waiting to run:
-- what made it runnable, by whom, and the goroutine's last stack before the wait.
-- The N delays are picked first, so the last-stack lookup scans the
-- transitions for those goroutines only, not for every delay.
-- Parameter: limit.
with worst as (
    select *
    from delays
    order by duration_ns desc, end_time_ns
    limit {{limit}}
)
select
    d.g,
    d.duration_ns,
    d.start_time_ns,
    d.end_time_ns,
    d.p,
    d.cause,
    d.cause_reason,
    d.made_runnable_by_g,
    stack_funcs(d.made_runnable_by_stack_id) as made_runnable_by_funcs,
    stack_funcs(d.creator_stack_id) as creator_funcs,
    (
        select stack_funcs(arg_max(x.stack_id, x.end_time_ns))
        from g_transitions x
        where x.g = d.g and x.stack_id is not null and x.end_time_ns <= d.start_time_ns
    ) as last_funcs,
    stack_funcs(d.start_stack_id) as start_funcs
from worst d
order by d.duration_ns desc, d.end_time_ns;
