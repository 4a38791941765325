-- The 1 ms bucket in [lo_bucket, hi_bucket) where most goroutines became runnable.
-- (Buckets are cast to BIGINT before scaling: as INT32 literals, bucket 2148 ×
-- 1000000 overflows, i.e. any spike after 2.1 s of trace.)
-- Ties go to the earliest bucket; tied_buckets lists the others with as many
-- (the report says so: which bucket the details show is then a choice).
with b as (
    select (end_time_ns - {{t0_ns}}) // 1000000 as bucket, count(*) as count
    -- The stretch implied by the buckets (bucket 0 also holds the last
    -- millisecond before t0), so that only its rows are read.
    from g_transitions_ending({{t0_ns}} + {{lo_bucket}}::bigint * 1000000 - 1000000, {{t0_ns}} + {{hi_bucket}}::bigint * 1000000 - 1)
    where to_state = 'runnable'::state
      and (end_time_ns - {{t0_ns}}) // 1000000 >= {{lo_bucket}} and (end_time_ns - {{t0_ns}}) // 1000000 < {{hi_bucket}}
    group by bucket
)
select bucket, count,
       (select list(t.bucket order by t.bucket) from b as t where t.count = b.count and t.bucket <> b.bucket) as tied_buckets
from b
order by count desc, bucket
limit 1;
