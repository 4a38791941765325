-- Number of runnable goroutines over time, in 1 ms buckets (by transition end
-- time): a running sum of entries into and exits from 'runnable', starting at
-- 0. peak is the running count at the end of the bucket. Parameter: t0_ns.
-- The filter is a CASE, not `from_state = 'runnable' or to_state =
-- 'runnable'`: DuckDB ran that OR (one value against two enum columns)
-- several times slower than the two comparisons.
with buckets as (
    select
        (end_time_ns - {{t0_ns}}) // 1000000 as bucket,
        count(*) filter (where to_state = 'runnable'::state) as entered,
        count(*) filter (where from_state = 'runnable'::state) as left_runnable
    from g_transitions
    where case when from_state = 'runnable'::state then true else to_state = 'runnable'::state end
    group by bucket
)
select
    bucket,
    entered,
    left_runnable,
    sum(entered - left_runnable) over (order by bucket rows between unbounded preceding and current row) as runnable
from buckets
order by bucket;
