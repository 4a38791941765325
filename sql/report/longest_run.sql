-- The trace's longest run (a transition from 'running'): how far past a
-- wait a run on its proc can have ended, which bounds proc_activity_during's
-- scan.
select max(duration_ns) as longest_ns
from g_transitions
where from_state = 'running'::state;
