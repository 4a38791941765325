-- Replaces sql/views.sql's `goroutine_totals` with the rows the reader summed
-- (see derived_goroutine_totals.sql); run after the views.
create or replace view goroutine_totals as select * from derived_goroutine_totals;
