-- Overall scheduling latency: every runnable → running interval.
-- t0_ns (start of the first such wait) is the origin of every window below.
-- The three percentiles come from one quantile_cont (one copy of the
-- durations instead of three).
with s as (
    select
        count(*) as count,
        min(duration_ns) as min_ns,
        avg(duration_ns) as avg_ns,
        quantile_cont(duration_ns, [0.5, 0.9, 0.99]) as q,
        max(duration_ns) as max_ns,
        min(end_time_ns - duration_ns) as t0_ns,
        max(end_time_ns) as end_ns
    from g_transitions
    where from_state = 'runnable'::state and to_state = 'running'::state
)
select count, min_ns, avg_ns, q[1] as p50_ns, q[2] as p90_ns, q[3] as p99_ns, max_ns, t0_ns, end_ns
from s;
