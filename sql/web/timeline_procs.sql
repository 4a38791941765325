-- The procs (Ps) of the trace, one timeline lane each: every P that changed state or ran a goroutine.
select p from p_transitions where p is not null
union
select src_p from g_transitions where src_p is not null
order by p;
