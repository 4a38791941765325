-- When the GC worked over [lo_ns, hi_ns), from the ranges table, for the timeline.
-- Mark phases and stop-the-world pauses go to lane 'gc' (id 0), incremental sweeps to lane 'p' (id = the proc),
-- mark assists to lane 'g' (id = the goroutine). Ranges already under way when tracing began start at first_ns;
-- unfinished ones end at end_ns. Ranges shorter than bucket_ns (one pixel) are merged per lane and bucket, named
-- after the kind that took most of the time (n: ranges merged; busy_ns: their time inside the range).
-- Parameters: lo_ns, hi_ns, first_ns, end_ns, bucket_ns, limit.
with r as (
    select
        case when name like 'stop-the-world%' or scope is null or scope not in ('proc', 'goroutine') then 'gc'
             when scope = 'proc' then 'p'
             else 'g' end as lane,
        name,
        scope_id,
        coalesce(start_time_ns, {{first_ns}}) as start_ns,
        coalesce(end_time_ns, {{end_ns}}) as end_ns
    from ranges
),
clipped as (
    select
        lane,
        case when lane = 'gc' then 0 else scope_id end as id,
        name,
        start_ns,
        end_ns,
        least(end_ns, {{hi_ns}}) - greatest(start_ns, {{lo_ns}}) as busy_ns,
        end_ns - start_ns < {{bucket_ns}} as narrow
    from r
    where end_ns > {{lo_ns}} and start_ns < {{hi_ns}} and (lane = 'gc' or scope_id is not null)
),
narrow as (
    select lane, id, (greatest(start_ns, {{lo_ns}}) - {{lo_ns}}) // {{bucket_ns}} as b, name,
        sum(busy_ns) as busy_ns, count(*) as n
    from clipped
    where narrow
    group by lane, id, b, name
)
select lane, id, name, start_ns, end_ns, busy_ns, 1::bigint as n
from clipped
where not narrow
union all
select
    lane,
    id,
    arg_max(name, busy_ns) as name,
    {{lo_ns}} + b * {{bucket_ns}} as start_ns,
    {{lo_ns}} + (b + 1) * {{bucket_ns}} as end_ns,
    sum(busy_ns)::bigint as busy_ns,
    sum(n)::bigint as n
from narrow
group by lane, id, b
order by lane, id, start_ns, end_ns
limit {{limit}};
