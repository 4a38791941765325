-- delays_by_creator.sql with each group's goroutines from
-- `delayed_goroutines`, where the pass that derived the `delays` rows counted
-- them (`delays_shape` is not NULL): scheduling delays grouped by what
-- created each delayed goroutine. Parameter: limit. (See
-- delays_by_creator.sql for the grouping by the creators' names.)
with named as (
    select stack_id, stack_funcs(stack_id) as funcs
    from (select distinct creator_stack_id as stack_id from delays where creator_stack_id is not null)
),
canon as (
    select stack_id, funcs, min(stack_id) over (partition by funcs) as canon from named where funcs is not null
),
lookup as (
    select list(stack_id order by stack_id) as ids, list(canon order by stack_id) as canons from canon
),
groups as (
    select
        lookup.canons[list_position(lookup.ids, d.creator_stack_id)] as canon,
        count(*) as events,
        sum(d.duration_ns) as total_ns,
        max(d.duration_ns) as max_ns,
        quantile_cont(d.duration_ns, 0.99) as p99_ns
    from delays d, lookup
    group by all
),
-- A goroutine has one creator stack, so a group's goroutines are the sum of
-- its stacks' in `delayed_goroutines`, which the pass deriving the rows
-- counts (a DISTINCT count here took most of this query).
goroutines as (
    select lookup.canons[list_position(lookup.ids, dg.creator_stack_id)] as canon, sum(dg.goroutines)::bigint as goroutines
    from delayed_goroutines dg, lookup
    group by all
)
select n.funcs as creator_funcs, events, coalesce(gs.goroutines, 0) as goroutines, total_ns, max_ns, p99_ns
from groups
left join goroutines gs on gs.canon is not distinct from groups.canon
left join (select distinct canon, funcs from canon) n on n.canon = groups.canon
order by total_ns desc, array_to_string(creator_funcs, ', ') nulls last
limit {{limit}};
