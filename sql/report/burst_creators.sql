-- Stacks that created the goroutines of a burst (±1 ms of center_ns), most first.
with c as (
    select src_stack_id as stack_id, count(*) as count
    from schedstat_scratch.burst_rows
    where from_state = 'notexist'::state and to_state = 'runnable'::state
      and start_ns between {{center_ns}} - 1000000 and {{center_ns}} + 1000000
    group by src_stack_id
),
named as (select stack_id, count, stack_terse(stack_id) as terse from c)
select stack_id, count, terse
from named
order by count desc, array_to_string(terse, ', ') nulls last
limit 3;
