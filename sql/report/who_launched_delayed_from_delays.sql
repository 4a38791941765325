-- who_launched_delayed.sql's answer read from `delays`, where
-- `delays_shape` says both of its facts hold: each wait is one row there,
-- and its creator_stack_id is the one creation naming a stack, so no join of
-- g_transitions to itself (on goroutine churn, that join cost 0.4 s and
-- 80 MB of a 2.5 s report); the goroutines are `delayed_goroutines`' count
-- (distinct goroutines among a million waits cost 0.15 s more). Parameter:
-- limit.
with waits as (
    select creator_stack_id, sum(duration_ns) as total_ns, max(duration_ns) as max_ns
    from delays
    where duration_ns > 1000000 and creator_stack_id is not null
    group by creator_stack_id
)
select
    w.creator_stack_id as stack_id,
    stack_funcs(w.creator_stack_id) as funcs,
    dg.goroutines_over_1ms as goroutines,
    w.total_ns,
    w.max_ns
from waits w
join delayed_goroutines dg on dg.creator_stack_id = w.creator_stack_id
order by total_ns desc, stack_id
limit {{limit}};
