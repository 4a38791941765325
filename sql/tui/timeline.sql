-- The TUI's timeline (crates/tui/src/timeline.rs): for each P and for the
-- {{goroutines}} goroutines that ran longest in the view [{{from}}, {{to}}),
-- how many ns of each of {{buckets}} buckets of {{width}} ns were spent
-- running. Times are absolute trace ns, as in `runs`.
with b as (
    select range as bucket,
           {{from}} + range * {{width}} as b0,
           {{from}} + (range + 1) * {{width}} as b1
    from range({{buckets}})
),
r as (
    select g, p, start_time_ns, end_time_ns
    from runs
    where state = 'running' and end_time_ns > {{from}} and start_time_ns < {{to}}
),
top_g as (
    select g
    from r
    group by g
    order by sum(least(end_time_ns, {{to}}) - greatest(start_time_ns, {{from}})) desc, g
    limit {{goroutines}}
),
lanes as (
    select 0 as kind, p as id, start_time_ns, end_time_ns from r where p is not null
    union all
    select 1 as kind, g as id, start_time_ns, end_time_ns from r where g in (select g from top_g)
)
select kind, id, bucket, sum(least(end_time_ns, b1) - greatest(start_time_ns, b0))::bigint as busy_ns
from lanes
join b on start_time_ns < b1 and end_time_ns > b0
group by all
order by kind, id, bucket;
