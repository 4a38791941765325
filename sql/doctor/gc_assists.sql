-- Where mark assists happened, for `schedstat doctor`: GC mark assist ranges
-- by the stack that began them (function lists, leaf first: the allocation
-- path that was made to help the GC), with how often and how long. A range
-- still open at the end counts up to the last event; one already open when
-- tracing began (no start) is left out. Totals per goroutine are
-- `schedstat gc`'s (crates/analysis); this adds the stacks.
with t as (
    select value::bigint as last_ns from trace_info where key = 'last_time_ns'
),
a as (
    select start_stack_id, count(*) as count, sum(coalesce(end_time_ns, t.last_ns) - start_time_ns) as total_ns
    from ranges cross join t
    where name = 'GC mark assist' and start_time_ns is not null
    group by start_stack_id
),
named as (
    select coalesce(stack_funcs(start_stack_id), []::varchar[]) as funcs, count, total_ns from a
)
select funcs, sum(count)::bigint as count, sum(total_ns)::bigint as total_ns
from named
group by funcs
order by total_ns desc, array_to_string(funcs, ';')
limit 5;
