-- Goroutine counts for `schedstat diff`: how many the trace saw, created and
-- saw exit, and the most alive at once. Goroutines that existed when the
-- trace began count as alive from its start.
with firsts as (
    select g, arg_min(from_state, end_time_ns) as first_from
    from g_transitions
    group by g
),
initial as (
    select count(*) filter (where first_from <> 'notexist') as n from firsts
),
deltas as (
    select end_time_ns as t, 1 as d from g_transitions where from_state = 'notexist'::state
    union all
    select end_time_ns as t, -1 as d from g_transitions where to_state = 'notexist'::state
),
alive as (
    -- Exits before creations at the same instant: the peak is never overstated.
    select sum(d) over (order by t, d rows unbounded preceding) as c from deltas
)
select
    (select count(*) from firsts) as seen,
    (select count(*) from g_transitions where from_state = 'notexist'::state) as created,
    (select count(*) from g_transitions where to_state = 'notexist'::state) as exited,
    (select n from initial) + greatest(coalesce((select max(c) from alive), 0), 0) as max_alive,
    (select n from initial) + (select coalesce(sum(d), 0) from deltas) as alive_at_end;
