-- `delays_shape` (sql/views.sql) as the pass that derived the `delays` rows
-- found it (DelaysShape in crates/tables/src/delays.rs); run after the views.
create or replace view delays_shape as
select {{one_row_per_wait}} as one_row_per_wait, {{one_creator_stack_per_goroutine}} as one_creator_stack_per_goroutine;
