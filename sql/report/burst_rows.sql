-- The transitions the burst analyses read (goroutines becoming runnable, or
-- starting to run right away) around the spikes' centres, with start_ns: when
-- each goroutine entered its previous state (end_time_ns - duration_ns), the
-- time dt/schedstat groups bursts by. Made once before the burst_*.sql
-- analyses, so each of them reads a few thousand rows instead of the whole
-- table; in the in-memory `schedstat_scratch` database, never kept in a file
-- (a regular table, not a temporary one: both of the CLI's connections read it).
-- {{earliest_ns}}: the first centre minus 1 ms (a row starting in a window
-- ends after it, so the rows that end earlier are not read);
-- {{in_windows}}: "start_ns between C - 1000000 and C + 1000000 or ..." for
-- every centre C ("false" when there is none), tried only on rows whose
-- millisecond since {{earliest_ns}} is one the windows touch (the report's
-- make_burst_rows writes both).
attach if not exists ':memory:' as schedstat_scratch;
create or replace table schedstat_scratch.burst_rows as
select *
from (
    select g, from_state, to_state, end_time_ns - duration_ns as start_ns, end_time_ns, src_stack_id, src_g
    from g_transitions_ending({{earliest_ns}}, 9223372036854775807)
    where to_state = 'runnable'::state or (from_state = 'notexist'::state and to_state = 'running'::state)
)
where {{in_windows}}
order by start_ns, end_time_ns;
