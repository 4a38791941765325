-- Goroutines that waited longest in total to be scheduled, with a stack that
-- says what they are (their last stack in the trace). Parameter: limit.
with w as (
    select g, count(*) as schedulings, sum(duration_ns) as total_ns, max(duration_ns) as max_ns
    from g_transitions
    where from_state = 'runnable'::state and to_state = 'running'::state
    group by g
    order by total_ns desc, g
    limit {{limit}}
)
select
    w.g, w.schedulings, w.total_ns, w.max_ns,
    (select stack_funcs(arg_max(x.stack_id, x.end_time_ns)) from g_transitions x where x.g = w.g and x.stack_id is not null) as funcs,
    (select name from goroutines gr where gr.g = w.g) as name
from w
order by w.total_ns desc, w.g;
