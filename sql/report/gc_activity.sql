-- Transitions whose reason or state mentions the GC, grouped.
select
    from_state,
    to_state,
    reason,
    count(*) as transitions,
    sum(duration_ns) as total_ns,
    max(duration_ns) as max_ns
from g_transitions
where reason like '%GC%' or reason like '%gc%' or from_state like '%gc%' or to_state like '%gc%'
group by from_state, to_state, reason
order by total_ns desc, from_state, to_state, reason;
