-- Goroutines other than g runnable at instant t_ns (entered 'runnable' before it, left after
-- it), grouped by what made them runnable. Returns the count per cause and the
-- top creator/unblocker stack of each cause.
with waiting as (
    select * from delays where start_time_ns <= {{t_ns}} and end_time_ns > {{t_ns}} and g <> {{g}}
)
select
    cause,
    count(*) as goroutines,
    stack_funcs(mode(coalesce(made_runnable_by_stack_id, creator_stack_id))) as funcs
from waiting
group by cause
order by goroutines desc, cause;
