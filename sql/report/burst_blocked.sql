-- Where each goroutine unblocked in burst_rows had blocked: its last
-- stack-bearing exit from 'running' before it was unblocked. Made once for
-- all the bursts (each read the whole g_transitions for it); in
-- `schedstat_scratch` (see burst_rows.sql).
--
-- Nearly always that exit is the one that began the wait (at start_ns, the
-- waiting→runnable row's end minus its duration): a waiting goroutine does
-- not run. So that exit is looked up first, by equality, while the table is
-- scanned. Only the waits it does not answer (no stack at that exit, or a
-- wait under way since before the trace) look further back, and then only at
-- their goroutines' exits up to their last such wait. A correlated subquery
-- per wait was quadratic in a long-lived goroutine's transitions (11.8 s on a
-- 30 MB trace of 80 busy goroutines); an ASOF join over every exit held them
-- all (1.6 s and 400 MB more at 150 MB).
attach if not exists ':memory:' as schedstat_scratch;
create or replace table schedstat_scratch.burst_blocked as
with unblocked as (
    -- The latest wait when one goroutine was unblocked twice in one tick.
    select g, end_time_ns as unblocked_ns, max(start_ns) as wait_start_ns
    from schedstat_scratch.burst_rows
    where from_state = 'waiting'::state and to_state = 'runnable'::state
    group by g, end_time_ns
),
blocking_exits as (
    select x.g, x.end_time_ns, max(x.stack_id) as stack_id
    from g_transitions x
    semi join unblocked u on u.g = x.g and u.wait_start_ns = x.end_time_ns
    where x.from_state = 'running'::state and x.stack_id is not null
    group by all
),
direct as (
    select u.g, u.unblocked_ns, b.stack_id
    from unblocked u
    left join blocking_exits b on b.g = u.g and b.end_time_ns = u.wait_start_ns
),
unanswered as (
    select g, max(unblocked_ns) as last_ns
    from direct
    where stack_id is null
    group by g
),
earlier_exits as (
    select x.g, x.end_time_ns, x.stack_id
    from g_transitions x
    join unanswered n on n.g = x.g and x.end_time_ns <= n.last_ns
    where x.from_state = 'running'::state and x.stack_id is not null
),
looked_back as (
    select d.g, d.unblocked_ns, x.stack_id
    from (select g, unblocked_ns from direct where stack_id is null) d
    asof left join earlier_exits x on d.g = x.g and x.end_time_ns <= d.unblocked_ns
)
select g, unblocked_ns, stack_id from direct where stack_id is not null
union all
select g, unblocked_ns, stack_id from looked_back;
