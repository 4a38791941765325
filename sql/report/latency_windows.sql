-- Scheduling latency per window (by the time each wait ended).
-- Parameters: t0_ns, window_ns.
select
    (end_time_ns - {{t0_ns}}) // {{window_ns}} as win,
    count(*) as events,
    quantile_cont(duration_ns, 0.99) as p99_ns,
    max(duration_ns) as max_ns
from g_transitions
where from_state = 'runnable'::state and to_state = 'running'::state
group by win
order by win;
