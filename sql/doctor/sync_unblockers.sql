-- Who woke blocked goroutines, for `schedstat doctor`: every wait (a
-- transition into waiting) paired with the transition that ended it
-- (waiting → runnable, found by goroutine and time), grouped by the blocking
-- stack and the stack of the goroutine that unblocked it (for a mutex: where
-- the holder unlocked; for a channel: the other side's send or receive).
-- Stacks are function lists, leaf first, as in sql/diff/blocking.sql.
with blocks as (
    select g, end_time_ns as t, reason, stack_id
    from g_transitions
    where to_state = 'waiting'::state and from_state <> 'waiting'::state
),
wakes as (
    select g, end_time_ns - duration_ns as t, src_stack_id
    from g_transitions
    where from_state = 'waiting'::state and to_state = 'runnable'::state
),
pairs as (
    select b.reason, b.stack_id, w.src_stack_id, count(*) as count
    from blocks b
    join wakes w on w.g = b.g and w.t = b.t
    group by all
),
named as (
    select
        coalesce(nullif(reason, ''), 'unknown') as reason,
        coalesce(stack_funcs(stack_id), []::varchar[]) as blocked_funcs,
        coalesce(stack_funcs(src_stack_id), []::varchar[]) as unblocker_funcs,
        count
    from pairs
),
summed as (
    select reason, blocked_funcs, unblocker_funcs, sum(count)::bigint as count
    from named
    group by reason, blocked_funcs, unblocker_funcs
)
select reason, blocked_funcs, unblocker_funcs, count
from summed
order by count desc, reason, array_to_string(blocked_funcs, ';'), array_to_string(unblocker_funcs, ';');
