-- The rows of the `delays` view (sql/views.sql), as the page's reader derives
-- them while it loads the trace (crates/tables/src/delays.rs, the pass the CLI
-- runs over its packed transitions): the columns and types of the view, so a
-- query reads the same values from either. DuckDB-WASM, on one thread, took
-- longer to compute the view's join than to load the trace.
create table derived_delays (
    g bigint,
    start_time_ns bigint,
    end_time_ns bigint,
    duration_ns bigint,
    p bigint,
    cause varchar,
    cause_reason varchar,
    made_runnable_by_g bigint,
    made_runnable_by_stack_id ubigint,
    own_stack_id ubigint,
    creator_g bigint,
    creator_stack_id ubigint,
    start_stack_id ubigint
);
