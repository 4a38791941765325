-- Which goroutines are GC mark workers (runtime.gcBgMarkWorker on one of their stacks), drawn in the GC colour.
with worker_stacks as (
    select distinct sf.stack_id
    from stack_frames sf
    join frames fr on fr.frame_id = sf.frame_id
    join functions fn on fn.function_id = fr.function_id
    where fn.name = 'runtime.gcBgMarkWorker'
)
select distinct g
from g_transitions
where stack_id in (select stack_id from worker_stacks)
order by g;
