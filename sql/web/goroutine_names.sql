-- Names of goroutines g_from..g_to, for the timeline's tooltips.
-- The name is the root function of each one's first known stack, as the goroutines view names them.
-- Parameters: g_from, g_to.
select g, name, is_system_goroutine
from goroutines
where g between {{g_from}} and {{g_to}}
order by g;
