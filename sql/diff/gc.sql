-- GC share for `schedstat diff`: time in GC concurrent mark phases as a
-- fraction of the trace's span, and stop-the-world pauses (count, total,
-- longest). Ranges open at either end of the trace are clipped to it.
with b as (
    select
        (select value::bigint from trace_info where key = 'first_time_ns') as t0,
        (select value::bigint from trace_info where key = 'last_time_ns') as t1
),
r as (
    select
        name,
        least(coalesce(end_time_ns, b.t1), b.t1) - greatest(coalesce(start_time_ns, b.t0), b.t0) as ns
    from ranges cross join b
    where name = 'GC concurrent mark phase' or name like 'stop-the-world (%'
)
select
    (select t1 - t0 from b) as duration_ns,
    count(*) filter (where name = 'GC concurrent mark phase') as gc_cycles,
    coalesce(sum(ns) filter (where name = 'GC concurrent mark phase'), 0)::bigint as gc_mark_ns,
    coalesce(sum(ns) filter (where name = 'GC concurrent mark phase'), 0)::double
        / nullif((select t1 - t0 from b), 0) as gc_mark_fraction,
    count(*) filter (where name like 'stop-the-world (%') as stw_count,
    coalesce(sum(ns) filter (where name like 'stop-the-world (%'), 0)::bigint as stw_ns,
    coalesce(max(ns) filter (where name like 'stop-the-world (%'), 0)::bigint as stw_max_ns
from r;
