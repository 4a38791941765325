-- Innermost frames (with file:line) that unblocked the goroutines of a burst, most first.
with u as (
    select src_stack_id
    from schedstat_scratch.burst_rows
    where from_state = 'waiting'::state and to_state = 'runnable'::state and src_stack_id is not null
      and start_ns between {{center_ns}} - 1000000 and {{center_ns}} + 1000000
),
leaves as (select stack_terse(src_stack_id)[1] as leaf from u)
select leaf, count(*) as count
from leaves
group by leaf
order by count desc, leaf
limit 3;
