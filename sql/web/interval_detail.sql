-- Why a goroutine interval on the timeline began or ended, for its tooltip.
-- The transition of goroutine g at at_ns, with its reason, who caused it (src_g) and both stacks as function
-- names, leaf first. Parameters: g, at_ns.
select
    from_state::varchar as from_state,
    to_state::varchar as to_state,
    reason,
    src_g,
    stack_funcs(stack_id) as funcs,
    stack_funcs(src_stack_id) as src_funcs
from g_transitions
where end_time_ns = {{at_ns}} and g = {{g}}
limit 1;
