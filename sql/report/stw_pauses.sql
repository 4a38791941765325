-- Every stop-the-world pause with its reason and length, longest first.
select
    regexp_extract(name, '^stop-the-world \((.*)\)$', 1) as reason,
    start_time_ns,
    end_time_ns,
    end_time_ns - start_time_ns as duration_ns,
    src_g as g
from ranges
where name like 'stop-the-world (%' and start_time_ns is not null and end_time_ns is not null
order by duration_ns desc, start_time_ns;
