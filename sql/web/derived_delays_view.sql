-- Replaces sql/views.sql's `delays` with the rows the reader derived (see
-- derived_delays.sql); run after the views, when every row was derived.
create or replace view delays as select * from derived_delays;
