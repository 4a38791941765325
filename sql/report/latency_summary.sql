-- Overall scheduling latency: every runnable → running interval.
-- t0_ns (start of the first such wait) is the origin of every window below.
select
    count(*) as count,
    min(duration_ns) as min_ns,
    avg(duration_ns) as avg_ns,
    quantile_cont(duration_ns, 0.5) as p50_ns,
    quantile_cont(duration_ns, 0.9) as p90_ns,
    quantile_cont(duration_ns, 0.99) as p99_ns,
    max(duration_ns) as max_ns,
    min(end_time_ns - duration_ns) as t0_ns,
    max(end_time_ns) as end_ns
from g_transitions
where from_state = 'runnable' and to_state = 'running';
