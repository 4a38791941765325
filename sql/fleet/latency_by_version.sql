-- Scheduling latency across the fleet, per Go version and host: how many
-- traces, how many waits, the worst p99 and the worst wait, and the mean of
-- the traces' p99s. Plain SQL, run unchanged by DuckDB (`schedstat fleet
-- --sql`) and by Spark SQL (fleet/spark/fleet_job.py).
select go_version, host,
       count(*) as traces,
       sum(latency_count) as waits,
       max(p99_ns) as worst_p99_ns,
       max(max_ns) as worst_wait_ns,
       avg(p99_ns) as mean_p99_ns
from traces
where p99_ns is not null
group by go_version, host
order by go_version, host;
