-- The longest scheduling delay whose wait began in [lo_ns, hi_ns).
-- Such a wait ended at lo_ns or later, and by {{ends_by_ns}}: hi_ns plus the
-- longest wait of the trace.
select g, duration_ns, end_time_ns - duration_ns as wait_start_ns, end_time_ns, src_p as p
from g_transitions_ending({{lo_ns}}, {{ends_by_ns}})
where from_state = 'runnable'::state and to_state = 'running'::state
  and end_time_ns - duration_ns >= {{lo_ns}} and end_time_ns - duration_ns < {{hi_ns}}
order by duration_ns desc, end_time_ns
limit 1;
