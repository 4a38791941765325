-- The traces most worth opening for run-queue pressure: the most goroutines
-- runnable at once first, with the 1 ms bucket where that peak was.
select file, trace, runnable_peak as value, 'goroutines' as unit,
       runnable_peak_ms as from_ms, runnable_peak_ms + 1 as to_ms
from traces
where runnable_peak is not null
order by runnable_peak desc, file
limit {{limit}};
