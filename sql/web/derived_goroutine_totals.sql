-- The `goroutine_totals` view's rows (sql/views.sql), summed by the page's
-- reader while it builds `g_transitions` (crates/tables/src/goroutine_totals.rs):
-- on one thread, the view's group-by over every transition took about a
-- second of the page's report. Same columns and types as the view (its sums
-- are HUGEINT, as DuckDB's sum of BIGINT); derived_goroutine_totals_view.sql
-- points the view at these rows once they are loaded.
create table derived_goroutine_totals (
    g bigint,
    first_stack ubigint,
    first_src_stack ubigint,
    system_wait boolean,
    running_ns hugeint,
    runnable_ns hugeint,
    syscall_ns hugeint,
    waiting_ns hugeint,
    total_ns hugeint,
    transitions bigint
);
