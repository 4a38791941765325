-- What ran on proc p while a goroutine waited from start_ns to end_ns: the
-- longest single run (whole run, not clipped) and how many goroutines and runs.
-- {{ends_by_ns}}: end_ns plus the trace's longest run (longest_run.sql), the
-- latest such a run can have ended.
with r as (
    select g, duration_ns, stack_id
    from g_transitions_ending({{start_ns}} + 1, {{ends_by_ns}})
    where from_state = 'running'::state and src_p = {{p}}
      and end_time_ns > {{start_ns}} and end_time_ns - duration_ns < {{end_ns}}
)
select
    (select count(distinct g) from r) as goroutines,
    (select count(*) from r) as runs,
    (select g from r order by duration_ns desc limit 1) as longest_g,
    (select duration_ns from r order by duration_ns desc limit 1) as longest_ns,
    (select funcs(stack_id) from r order by duration_ns desc limit 1) as longest_funcs;
