-- Where each goroutine unblocked in burst_rows had blocked: its last
-- stack-bearing exit from 'running' before it was unblocked. Made once for
-- all the bursts (each read the whole g_transitions for it); temporary.
create or replace temp table burst_blocked as
with unblocked as (
    select distinct g, end_time_ns as unblocked_ns
    from burst_rows
    where from_state = 'waiting'::state and to_state = 'runnable'::state
)
select u.g, u.unblocked_ns, (
    select arg_max(x.stack_id, x.end_time_ns)
    from g_transitions x
    where x.g = u.g and x.from_state = 'running'::state and x.stack_id is not null and x.end_time_ns <= u.unblocked_ns
) as stack_id
from unblocked u;
