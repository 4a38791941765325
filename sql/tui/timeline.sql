-- The TUI's timeline, defined in SQL: crates/tui/src/timeline.rs computes
-- the same answer from memory (a query per key press took up to a second on
-- a 30 MB trace), and crates/cli/tests/tui.rs checks the two are equal.
-- For each P and for the
-- {{goroutines}} goroutines that ran longest in the view [{{from}}, {{to}}),
-- how many ns of each of {{buckets}} buckets of {{width}} ns were spent
-- running. Times are absolute trace ns. Runs are `runs`' running rows, read
-- from g_transitions directly (a running stretch's P is its src_p; the
-- view's join for syscalls is not needed), and each run is spread over the
-- buckets it touches, so the cost follows the runs in view, not runs × buckets.
with r as (
    select g, src_p as p, end_time_ns - duration_ns as start_time_ns, end_time_ns
    from g_transitions
    where from_state = 'running'::state and end_time_ns > {{from}} and end_time_ns - duration_ns < {{to}}
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
),
spread as (
    select kind, id, start_time_ns, end_time_ns,
           unnest(range(
               greatest(0, (start_time_ns - {{from}}) // {{width}}),
               least({{buckets}} - 1, (end_time_ns - 1 - {{from}}) // {{width}}) + 1
           )) as bucket
    from lanes
)
select kind, id, bucket,
       sum(least(end_time_ns, {{from}} + (bucket + 1) * {{width}})
           - greatest(start_time_ns, {{from}} + bucket * {{width}}))::bigint as busy_ns
from spread
group by all
order by kind, id, bucket;
