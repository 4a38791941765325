-- Where each goroutine unblocked in burst_rows had blocked: its last
-- stack-bearing exit from 'running' before it was unblocked. Made once for
-- all the bursts (each read the whole g_transitions for it); temporary.
-- An ASOF join, not a subquery per row: a correlated subquery read every
-- earlier transition of the goroutine, quadratic in a long-lived goroutine's
-- transitions (11.8 s on a 30 MB trace of 80 busy goroutines).
create or replace temp table burst_blocked as
with unblocked as (
    select distinct g, end_time_ns as unblocked_ns
    from burst_rows
    where from_state = 'waiting'::state and to_state = 'runnable'::state
),
exits as (
    select g, end_time_ns, stack_id
    from g_transitions
    where from_state = 'running'::state and stack_id is not null
      and g in (select g from unblocked)
)
select u.g, u.unblocked_ns, x.stack_id
from unblocked u
asof left join exits x on u.g = x.g and x.end_time_ns <= u.unblocked_ns;
