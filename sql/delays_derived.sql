-- What the pass that derived the `delays` rows (crates/tables/src/delays.rs)
-- found besides them, in place of sql/views.sql's `delays_shape` and
-- `delayed_goroutines`: run after the views, once its counts are in
-- derived_delayed_goroutines (sql/derived_delayed_goroutines.sql).
create or replace view delays_shape as
select {{one_row_per_wait}} as one_row_per_wait, {{one_creator_stack_per_goroutine}} as one_creator_stack_per_goroutine;
create or replace view delayed_goroutines as
select creator_stack_id, goroutines, goroutines_over_1ms from derived_delayed_goroutines;
