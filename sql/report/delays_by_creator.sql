-- Scheduling delays grouped by the stack that created each delayed goroutine
-- (from its creation event; NULL when it was created before the trace began).
-- Parameter: limit.
select
    creator_stack_id,
    stack_funcs(creator_stack_id) as creator_funcs,
    count(*) as events,
    count(distinct g) as goroutines,
    sum(duration_ns) as total_ns,
    max(duration_ns) as max_ns,
    quantile_cont(duration_ns, 0.99) as p99_ns
from delays
group by creator_stack_id
order by total_ns desc, creator_stack_id nulls last
limit {{limit}};
