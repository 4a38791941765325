-- Stacks that created goroutines which then waited more than 1 ms to run.
-- Parameter: limit.
select
    c.src_stack_id as stack_id,
    stack_funcs(c.src_stack_id) as funcs,
    count(distinct d.g) as goroutines,
    sum(d.duration_ns) as total_ns,
    max(d.duration_ns) as max_ns
from g_transitions d
join g_transitions c on c.g = d.g and c.from_state = 'notexist'::state and c.src_stack_id is not null
where d.from_state = 'runnable'::state and d.to_state = 'running'::state and d.duration_ns > 1000000
group by c.src_stack_id
order by total_ns desc, c.src_stack_id
limit {{limit}};
