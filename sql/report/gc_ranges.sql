-- GC phases and pauses: stop-the-world pauses, mark phases and mark assists.
select
    name,
    count(*) as count,
    count(*) filter (where start_time_ns is not null and end_time_ns is not null) as complete,
    coalesce(sum(end_time_ns - start_time_ns), 0) as total_ns,
    max(end_time_ns - start_time_ns) as max_ns
from ranges
group by name
order by total_ns desc, name;
