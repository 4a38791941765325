-- Views and macros over the tables of schema.sql (sqlprof's, plus ours).
-- Written to run on DuckDB 1.4 (the web page's DuckDB-WASM) and 1.5 (the CLI).

-- Each stack as lists ordered leaf first: function names; "func (file.go:line)";
-- "func [inlined] (/full/path.go:line)".
create view stacks as
select
    sf.stack_id,
    list(fn.name order by sf.position) as funcs,
    list(concat(fn.name, ' (', regexp_extract(fn.file, '[^/]+$'), ':', fr.line, ')') order by sf.position) as terse,
    list(concat(fn.name, case when fr.inlined then ' [inlined]' else '' end, ' (', fn.file, ':', fr.line, ')')
         order by sf.position) as full
from stack_frames sf
join frames fr on fr.frame_id = sf.frame_id
join functions fn on fn.function_id = fr.function_id
group by sf.stack_id;

-- The transitions whose end_time_ns is in [lo, hi]: what a query about a
-- short stretch of the trace reads, so that the CLI's packed tables (which
-- replace this macro, crates/db/src/packed.rs) read only the blocks of that
-- stretch, as DuckDB's own tables skip row groups by their min/max.
create macro g_transitions_ending(lo, hi) as table
select * from g_transitions where end_time_ns between lo and hi;

-- Stack lookups. A macro argument is pasted into the macro's body, so an
-- argument naming a column (funcs(stack_id)) would bind to the subquery's own
-- column of that name: the subquery renames its columns to names no caller uses.
create macro _stack_part(_sid_, _part_) as (
    select case _part_ when 'funcs' then _s_funcs_ when 'terse' then _s_terse_ else _s_full_ end
    from stacks as _s_(_s_stack_id_, _s_funcs_, _s_terse_, _s_full_)
    where _s_stack_id_ = _sid_
);
create macro stack_funcs(_sid_) as (_stack_part(_sid_, 'funcs'));
create macro stack_terse(_sid_) as (_stack_part(_sid_, 'terse'));
create macro stack_full(_sid_) as (_stack_part(_sid_, 'full'));
create macro stack(_sid_) as (_stack_part(_sid_, 'funcs'));
create macro funcs(_sid_) as (_stack_part(_sid_, 'funcs'));
-- Outermost (entry point) and innermost function of a stack.
create macro root_func(_sid_) as (list_last(_stack_part(_sid_, 'funcs')));
create macro leaf_func(_sid_) as (list_first(_stack_part(_sid_, 'funcs')));

-- pprof labels of a label set as a MAP (always empty for execution traces).
create macro labels(_lsid_) as (
    select map_from_entries(list({'k': _l_key_, 'v': coalesce(_l_str_, _l_num_::varchar)}))
    from label_sets as _l_(_l_id_, _l_key_, _l_str_, _l_num_, _l_unit_)
    where _l_id_ = _lsid_
);

-- Whether a function name belongs to the standard library: its package path
-- (everything before the first '.' after the last '/') is a std package.
create macro is_std(_fn_) as (
    exists (select 1 from std_packages as _p_(_p_path_) where _fn_ like _p_path_ || '.%')
);

-- Root function of every stack, computed once (the goroutines view needs it per goroutine).
create view stack_roots as
select stack_id, list_last(funcs) as root from stacks;

-- Per goroutine: its first stacks and time spent in each state (the page
-- reads these from the rows its reader summed, sql/web/derived_goroutine_totals.sql).
create view goroutine_totals as
select
    g,
    arg_min(stack_id, end_time_ns) filter (where stack_id is not null) as first_stack,
    arg_min(src_stack_id, end_time_ns) filter (where src_stack_id is not null) as first_src_stack,
    bool_or(reason = 'system goroutine wait') as system_wait,
    coalesce(sum(duration_ns) filter (where from_state = 'running'::state), 0) as running_ns,
    coalesce(sum(duration_ns) filter (where from_state = 'runnable'::state), 0) as runnable_ns,
    coalesce(sum(duration_ns) filter (where from_state = 'syscall'::state), 0) as syscall_ns,
    coalesce(sum(duration_ns) filter (where from_state = 'waiting'::state), 0) as waiting_ns,
    sum(duration_ns) as total_ns,
    count(*) as transitions
from g_transitions
group by g;

-- Per goroutine: its name (root function of its first known stack), whether it
-- is a runtime goroutine, and time spent in each state.
create view goroutines as
select
    per_g.g,
    case when per_g.first_stack is not null then r1.root else r2.root end as name,
    per_g.system_wait or (case when per_g.first_stack is not null then r1.root else r2.root end) like 'runtime.%'
        as is_system_goroutine,
    running_ns, runnable_ns, syscall_ns, waiting_ns, total_ns, transitions
from goroutine_totals per_g
left join stack_roots r1 on r1.stack_id = per_g.first_stack
left join stack_roots r2 on r2.stack_id = per_g.first_src_stack
order by running_ns desc;

-- Per proc: time running and idle.
create view procs as
select
    p,
    coalesce(sum(duration_ns) filter (where from_state = 'running'::state), 0) as running_ns,
    coalesce(sum(duration_ns) filter (where from_state = 'idle'::state), 0) as idle_ns,
    sum(duration_ns) as total_ns,
    count(*) as transitions
from p_transitions
group by p
order by running_ns desc;

-- Goroutines grouped by name.
create view goroutine_groups as
select
    name,
    sum(running_ns) as running_ns,
    sum(runnable_ns) as runnable_ns,
    sum(syscall_ns) as syscall_ns,
    sum(waiting_ns) as waiting_ns,
    sum(total_ns) as total_ns,
    sum(transitions) as transitions,
    count(*) as count
from goroutines
group by name
order by running_ns desc, name;

-- Scheduling delays: every runnable → running interval, with what made the
-- goroutine runnable (the transition into runnable: created, unblocked,
-- preempted, back from a syscall), who did it, and who created the goroutine.
-- A transition starts where the goroutine's previous one ended (duration_ns is
-- the time since it), so the transition into runnable is found by goroutine
-- and end time: a hash join over the transitions into runnable, rather than a
-- window sorting every transition, which needs several times the memory (the
-- web page's DuckDB-WASM ran out of its 3 GiB on 37 M transitions) and time.
create view delays as
with into_runnable as (
    select g, end_time_ns, from_state, reason, src_g, src_stack_id, stack_id
    from g_transitions
    where to_state = 'runnable'::state
),
creations as (
    select g, arg_min(src_g, end_time_ns) as creator_g, arg_min(src_stack_id, end_time_ns) as creator_stack_id,
           arg_min(stack_id, end_time_ns) as start_stack_id
    from g_transitions
    where from_state = 'notexist'::state
    group by g
)
select
    o.g,
    o.end_time_ns - o.duration_ns as start_time_ns,
    o.end_time_ns,
    o.duration_ns,
    o.src_p as p,
    case e.from_state
        when 'notexist' then 'created'
        when 'waiting' then 'unblocked'
        when 'running' then case when e.reason = 'preempted' then 'preempted' else 'yielded' end
        when 'syscall' then 'syscall'
        when 'runnable' then 'rescheduled'
        else 'unknown'
    end as cause,
    e.reason as cause_reason,
    case when e.from_state in ('notexist'::state, 'waiting'::state) then e.src_g end as made_runnable_by_g,
    case when e.from_state in ('notexist'::state, 'waiting'::state) then e.src_stack_id end as made_runnable_by_stack_id,
    e.stack_id as own_stack_id,
    c.creator_g,
    c.creator_stack_id,
    c.start_stack_id
from g_transitions o
left join into_runnable e on e.g = o.g and e.end_time_ns = o.end_time_ns - o.duration_ns
left join creations c on c.g = o.g
where o.from_state = 'runnable'::state and o.to_state = 'running'::state;

-- Two facts of the transitions behind `delays`: one_row_per_wait (each
-- runnable → running transition gave one row: no two transitions into
-- runnable of a goroutine ended where its wait began) and
-- one_creator_stack_per_goroutine (no goroutine has two creations naming a
-- creating stack). Where both hold, `delays` answers questions that would
-- otherwise join g_transitions to itself (the report's launchers). The pass
-- that derives the rows records them (sql/delays_derived.sql); NULL here, where
-- the rows come from the join above, which does not check.
create view delays_shape as
select null::boolean as one_row_per_wait, null::boolean as one_creator_stack_per_goroutine;

-- Per creator stack (creator_stack_id as in `delays`): how many goroutines had
-- a delay, and how many one longer than 1 ms. The pass that derives the
-- `delays` rows counts them as it goes (sql/delays_derived.sql); here, where the
-- rows come from the join, they are counted from it.
create view delayed_goroutines as
select
    creator_stack_id,
    count(distinct g) as goroutines,
    count(distinct g) filter (where duration_ns > 1000000) as goroutines_over_1ms
from delays
where g is not null
group by creator_stack_id;

-- Every stretch a goroutine executed on a proc: running, or in a syscall
-- (a goroutine in a syscall keeps its proc until the proc is taken from it).
-- A syscall stretch is charged to the proc the goroutine entered it on (the
-- transition into syscall, found by end time as in `delays`).
create view runs as
with into_syscall as (
    select g, end_time_ns, src_p
    from g_transitions
    where to_state = 'syscall'::state
)
select
    o.g,
    case when o.from_state = 'syscall'::state then coalesce(e.src_p, o.src_p) else o.src_p end as p,
    o.end_time_ns - o.duration_ns as start_time_ns,
    o.end_time_ns,
    o.duration_ns,
    o.from_state as state,
    o.to_state,
    o.reason,
    o.stack_id
from g_transitions o
-- The syscall test is inside the join key, not beside it: DuckDB plans a
-- LEFT join whose condition also tests one side alone as a nested loop, a
-- minute on a 17 MB trace of 900 k syscalls.
left join into_syscall e on e.g = o.g
    and e.end_time_ns = case when o.from_state = 'syscall'::state then o.end_time_ns - o.duration_ns end
where o.from_state in ('running'::state, 'syscall'::state);
