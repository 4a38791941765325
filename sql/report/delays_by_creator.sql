-- Scheduling delays grouped by what created each delayed goroutine: the
-- creating stack's functions (from the creation event; NULL when the goroutine
-- was created before the trace began). Parameter: limit.
with d as (
    select *, stack_funcs(creator_stack_id) as creator_funcs from delays
)
select
    creator_funcs,
    count(*) as events,
    count(distinct g) as goroutines,
    sum(duration_ns) as total_ns,
    max(duration_ns) as max_ns,
    quantile_cont(duration_ns, 0.99) as p99_ns
from d
group by creator_funcs
order by total_ns desc, array_to_string(creator_funcs, ', ') nulls last
limit {{limit}};
