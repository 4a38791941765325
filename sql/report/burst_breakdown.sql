-- Why goroutines became runnable within ±1 ms of center_ns, by the state they came from.
select
    case from_state
        when 'notexist' then 'new'
        when 'waiting' then 'unblocked'
        when 'syscall' then 'syscall'
        when 'running' then 'preempted'
        when 'runnable' then 'rescheduled'
        else 'other'
    end as category,
    count(*) as count
from schedstat_scratch.burst_rows
where to_state = 'runnable'::state
      and start_ns between {{center_ns}} - 1000000 and {{center_ns}} + 1000000
group by category
order by count desc, min(end_time_ns);
