-- The counts of sql/views.sql's `delayed_goroutines` as the pass that derives
-- the `delays` rows makes them (DelayedGoroutines in
-- crates/tables/src/delays.rs); sql/delays_derived.sql puts the view on it.
create table derived_delayed_goroutines (
    creator_stack_id ubigint,
    goroutines bigint,
    goroutines_over_1ms bigint
);
