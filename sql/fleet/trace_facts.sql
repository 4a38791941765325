-- Per trace, for the fleet's `traces` table: the time goroutines spent
-- blocked (waiting) and the time in GC (mark phases and stop-the-world
-- pauses for GC), each with the {{window_ns}} window where it was largest
-- (counted from the trace's first event, {{origin_ns}}): where to look first.
with blocked as (
    select (end_time_ns - {{origin_ns}}) // {{window_ns}} as w, sum(duration_ns) as ns
    from g_transitions
    where from_state = 'waiting'::state
    group by w
), gc as (
    select (start_time_ns - {{origin_ns}}) // {{window_ns}} as w, sum(end_time_ns - start_time_ns) as ns
    from ranges
    where (name = 'GC concurrent mark phase' or name like 'stop-the-world (GC%')
      and start_time_ns is not null and end_time_ns is not null
    group by w
)
select
    (select coalesce(sum(ns), 0) from blocked) as blocked_ns,
    (select w * {{window_ns}} from blocked order by ns desc, w limit 1) as blocked_window_ns,
    (select coalesce(sum(ns), 0) from gc) as gc_ns,
    (select w * {{window_ns}} from gc order by ns desc, w limit 1) as gc_window_ns;
