-- The 1 ms bucket in [lo_bucket, hi_bucket) where most goroutines became runnable.
-- (Buckets are cast to BIGINT before scaling: as INT32 literals, bucket 2148 ×
-- 1000000 overflows, i.e. any spike after 2.1 s of trace.)
select (end_time_ns - {{t0_ns}}) // 1000000 as bucket, count(*) as count
from g_transitions
where to_state = 'runnable'
  and (end_time_ns - {{t0_ns}}) // 1000000 >= {{lo_bucket}} and (end_time_ns - {{t0_ns}}) // 1000000 < {{hi_bucket}}
  -- implied (bucket 0 also holds the last millisecond before t0); lets DuckDB skip row groups
  and end_time_ns >= {{t0_ns}} + {{lo_bucket}}::bigint * 1000000 - 1000000 and end_time_ns < {{t0_ns}} + {{hi_bucket}}::bigint * 1000000
group by bucket
order by count desc, bucket
limit 1;
