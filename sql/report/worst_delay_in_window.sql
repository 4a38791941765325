-- The longest scheduling delay whose wait began in [lo_ns, hi_ns).
select g, duration_ns, end_time_ns - duration_ns as wait_start_ns, end_time_ns, src_p as p
from g_transitions_ending({{lo_ns}}, 9223372036854775807) -- a wait that began at lo_ns or later ended after it
where from_state = 'runnable'::state and to_state = 'running'::state
  and end_time_ns - duration_ns >= {{lo_ns}} and end_time_ns - duration_ns < {{hi_ns}}
order by duration_ns desc, end_time_ns
limit 1;
