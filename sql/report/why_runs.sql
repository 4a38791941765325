-- The executions (the `runs` view) during the waits `--why` explains, each
-- with its goroutine's name. Made once before delay_explained.sql, so that
-- each explanation reads the few rows of its wait instead of computing
-- `runs` and `goroutines` over the whole trace again; temporary, never kept
-- in a file. Only the goroutines that ran then are named, as the
-- `goroutines` view names them (which sums every goroutine's time in each
-- state: most of this table's time and memory on a trace of millions of
-- goroutines).
-- {{earliest_ns}}: the earliest wait's start (rows ending before it are
-- skipped first); {{in_windows}}: "(end_time_ns > S and start_time_ns < E)
-- or ..." for every wait from S to E ("false" when there is none).
--
-- The rows of the `runs` view, written out here so that the windows are
-- applied before the syscall entries are joined: the view joins every
-- syscall of the trace first (0.7 s of a 17 MB trace of 900 k syscalls).
create or replace temp table why_runs as
with o as materialized (
    select g, src_p, end_time_ns - duration_ns as start_time_ns, end_time_ns, duration_ns,
        from_state, to_state, reason, stack_id
    from g_transitions_ending({{earliest_ns}} + 1, 9223372036854775807)
    where from_state in ('running'::state, 'syscall'::state) and ({{in_windows}})
),
into_syscall as (
    select x.g, x.end_time_ns, x.src_p
    from g_transitions x
    semi join (select g, start_time_ns from o where from_state = 'syscall'::state) s
        on s.g = x.g and s.start_time_ns = x.end_time_ns
    where x.to_state = 'syscall'::state
),
w as materialized (
    select *
    from (
        select o.g,
            case when o.from_state = 'syscall'::state then coalesce(e.src_p, o.src_p) else o.src_p end as p,
            o.start_time_ns, o.end_time_ns, o.duration_ns, o.from_state as state, o.to_state, o.reason, o.stack_id
        from o
        left join into_syscall e on e.g = o.g
            and e.end_time_ns = case when o.from_state = 'syscall'::state then o.start_time_ns end
    )
    where p is not null
),
firsts as (
    select g,
        arg_min(stack_id, end_time_ns) filter (where stack_id is not null) as first_stack,
        arg_min(src_stack_id, end_time_ns) filter (where src_stack_id is not null) as first_src_stack
    from g_transitions
    where g in (select g from w)
    group by g
)
select w.*, case when f.first_stack is not null then r1.root else r2.root end as name
from w
left join firsts f on f.g = w.g
left join stack_roots r1 on r1.stack_id = f.first_stack
left join stack_roots r2 on r2.stack_id = f.first_src_stack;
