-- Temp tables (web_*) the timeline's queries read, made once per trace.
-- What no table row holds: each goroutine's and proc's last state, which lasts until the trace ends, and every
-- syscall with the P it was entered on (as the runs view charges it). Computing these in every query would cost a
-- scan and aggregate of the whole trace at every zoom step.
create or replace temp table web_g_tails as
select g, arg_max(to_state, end_time_ns) as state, max(end_time_ns) as start_ns, arg_max(src_p, end_time_ns) as p
from g_transitions
group by g;

create or replace temp table web_p_tails as
select p, arg_max(to_state, end_time_ns) as state, max(end_time_ns) as start_ns
from p_transitions
group by p;

create or replace temp table web_syscalls as
select s.g, coalesce(e.src_p, s.src_p) as p, s.end_time_ns - s.duration_ns as start_ns, s.end_time_ns as end_ns
from g_transitions s
left join g_transitions e
    on e.g = s.g and e.to_state = 'syscall'::state and e.end_time_ns = s.end_time_ns - s.duration_ns
where s.from_state = 'syscall'::state
order by start_ns;
