-- Scheduling delays grouped by what created each delayed goroutine: the
-- creating stack's functions (from the creation event; NULL when the goroutine
-- was created before the trace began). Parameter: limit.
-- Creator stacks are few: each is named once, and each delay is grouped by
-- the smallest ID among the stacks of its creator's functions, looked up in
-- a list (grouping millions of rows by a list of names took seconds and
-- hundreds of MB, and a join with the stacks made DuckDB hash the delays).
-- Delays whose creator has no name (none, or a stack without frames) form
-- one group, as the NULL list did.
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
        count(distinct d.g) as goroutines,
        sum(d.duration_ns) as total_ns,
        max(d.duration_ns) as max_ns,
        quantile_cont(d.duration_ns, 0.99) as p99_ns
    from delays d, lookup
    group by all
)
select n.funcs as creator_funcs, events, goroutines, total_ns, max_ns, p99_ns
from groups
left join (select distinct canon, funcs from canon) n on n.canon = groups.canon
order by total_ns desc, array_to_string(creator_funcs, ', ') nulls last
limit {{limit}};
