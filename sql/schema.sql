-- schedstat's database schema, shared by the CLI (DuckDB) and the web page
-- (DuckDB-WASM). The first eight tables, the views and the macros keep
-- sqlprof's names, columns and meanings so its users' queries run unchanged.
-- Times are nanoseconds on the trace clock; -1 IDs are stored as NULL.

-- The states of goroutines and procs, stored as one byte and compared and
-- printed as text. Declared in alphabetical order so that sorting by a state
-- orders rows as sqlprof's varchar columns do.
create type state as enum ('idle', 'notexist', 'runnable', 'running', 'syscall', 'undetermined', 'waiting');

-- One row per goroutine state transition. duration_ns is the time spent in
-- from_state (0 for the goroutine's first row); end_time_ns is when it left it.
-- stack_id: the transitioning goroutine's stack; src_*: who caused the
-- transition (the running goroutine, its thread and proc) and its stack.
create table g_transitions (
    g bigint,
    from_state state,
    to_state state,
    reason varchar,
    duration_ns bigint,
    end_time_ns bigint,
    stack_id ubigint,
    src_stack_id ubigint,
    src_g bigint,
    src_m bigint,
    src_p bigint
);

-- One row per proc (P) state transition.
create table p_transitions (
    p bigint,
    from_state state,
    to_state state,
    duration_ns bigint,
    end_time_ns bigint,
    src_p bigint,
    src_g bigint,
    src_m bigint
);

-- CPU profile samples taken while tracing (type 'samples/count', value 1).
create table stack_samples (
    type varchar,
    src_stack_id ubigint,
    value bigint,
    end_time_ns bigint,
    label_set_id ubigint,
    src_g bigint,
    src_p bigint,
    src_m bigint
);

-- /sched/gomaxprocs:threads, /memory/classes/heap/objects:bytes, /gc/heap/goal:bytes.
create table metrics (
    end_time_ns bigint,
    name varchar,
    value bigint,
    src_stack_id ubigint,
    src_g bigint,
    src_p bigint,
    src_m bigint
);

-- Frames of each stack; position 0 is the leaf.
create table stack_frames (
    stack_id ubigint,
    frame_id ubigint,
    position ubigint
);

create table frames (
    frame_id ubigint,
    address ubigint,
    function_id ubigint,
    line ubigint,
    inlined boolean
);

-- pprof labels (execution traces carry none; kept for sqlprof compatibility).
create table label_sets (
    label_set_id ubigint,
    key varchar,
    str_val varchar,
    num_val integer,
    unit varchar
);

create table functions (
    function_id ubigint,
    name varchar,
    file varchar
);

-- What sqlprof never loaded. Ranges: GC concurrent mark phases, incremental
-- sweeps (per proc), mark assists (per goroutine) and stop-the-world pauses.
-- start_time_ns is NULL for ranges already in progress when tracing began.
create table ranges (
    name varchar,
    scope varchar,
    scope_id bigint,
    start_time_ns bigint,
    end_time_ns bigint,
    started_before boolean,
    start_stack_id ubigint,
    src_g bigint,
    src_p bigint,
    src_m bigint,
    bytes_swept bigint,
    bytes_reclaimed bigint
);

-- User tasks (runtime/trace.NewTask); NULL start/end when outside the trace.
-- Rows come as tasks end (those never ended last), so that loading holds
-- only the open ones.
create table tasks (
    task_id ubigint,
    parent_id ubigint,
    type varchar,
    start_time_ns bigint,
    end_time_ns bigint,
    start_g bigint,
    end_g bigint,
    start_stack_id ubigint
);

-- User regions (runtime/trace.StartRegion, WithRegion), with nesting depth.
-- Rows come as regions end, as for tasks.
create table regions (
    g bigint,
    task_id ubigint,
    type varchar,
    start_time_ns bigint,
    end_time_ns bigint,
    depth bigint,
    start_stack_id ubigint
);

-- User logs (runtime/trace.Log).
create table logs (
    end_time_ns bigint,
    task_id ubigint,
    category varchar,
    message varchar,
    src_g bigint,
    src_stack_id ubigint
);

-- Standard-library package paths (Go 1.22–1.27), for is_std().
create table std_packages (path varchar);

-- Facts about the trace as a whole.
create table trace_info (key varchar, value varchar);
