-- Goroutines that waited longest in total to be scheduled, with a stack that
-- says what they are (their last stack in the trace). Parameter: limit.
-- Only the goroutines shown are named, as the `goroutines` view names them
-- (which sums every goroutine's time in each state: most of this query's
-- time and memory on a trace of millions of goroutines).
with w as materialized (
    select g, count(*) as schedulings, sum(duration_ns) as total_ns, max(duration_ns) as max_ns
    from g_transitions
    where from_state = 'runnable'::state and to_state = 'running'::state
    group by g
    order by total_ns desc, g
    limit {{limit}}
),
stacks_of_w as (
    select g,
        arg_min(stack_id, end_time_ns) filter (where stack_id is not null) as first_stack,
        arg_min(src_stack_id, end_time_ns) filter (where src_stack_id is not null) as first_src_stack,
        arg_max(stack_id, end_time_ns) filter (where stack_id is not null) as last_stack
    from g_transitions
    where g in (select g from w)
    group by g
)
select
    w.g, w.schedulings, w.total_ns, w.max_ns,
    stack_funcs(s.last_stack) as funcs,
    case when s.first_stack is not null then r1.root else r2.root end as name
from w
left join stacks_of_w s on s.g = w.g
left join stack_roots r1 on r1.stack_id = s.first_stack
left join stack_roots r2 on r2.stack_id = s.first_src_stack
order by w.total_ns desc, w.g;
