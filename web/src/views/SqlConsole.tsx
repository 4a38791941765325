// SQL over the whole trace, in the page: the CLI's schema (sqlprof's tables,
// views and macros), so queries written for `schedstat --sql` or sqlprof run here.

import { useState } from "react";

import type { TraceSession } from "../client";
import type { Cell, QueryResult } from "../protocol";

const EXAMPLES: [string, string][] = [
  ["Longest scheduling waits", "select g, duration_ns, end_time_ns, stack_id\nfrom g_transitions\nwhere from_state = 'runnable' and to_state = 'running'\norder by duration_ns desc\nlimit 20"],
  ["Time per goroutine state", "select from_state, count(*) as n, sum(duration_ns) as total_ns\nfrom g_transitions\ngroup by from_state\norder by total_ns desc"],
  ["Tables", "select table_name from information_schema.tables order by 1"],
];

function show(c: Cell): string {
  if (c === null) return "NULL";
  if (Array.isArray(c)) return `[${c.map(show).join(", ")}]`;
  return String(c);
}

/** A text area, a Run button (or Ctrl+Enter) and the result as a table. */
export function SqlConsole({ session }: { session: TraceSession }) {
  const [sql, setSql] = useState(EXAMPLES[0][1]);
  const [res, setRes] = useState<QueryResult | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [ms, setMs] = useState(0);
  const run = async () => {
    setBusy(true);
    setErr(null);
    const t = performance.now();
    try {
      setRes(await session.query(sql, 1000));
    } catch (e) {
      setRes(null);
      setErr(e instanceof Error ? e.message : String(e));
    } finally {
      setMs(performance.now() - t);
      setBusy(false);
    }
  };
  return (
    <div data-testid="view-sql" className="sql-console">
      <div className="examples">
        Examples:{" "}
        {EXAMPLES.map(([label, q]) => (
          <button key={label} onClick={() => setSql(q)}>
            {label}
          </button>
        ))}
      </div>
      <textarea
        data-testid="sql-input"
        value={sql}
        spellCheck={false}
        rows={8}
        onChange={(e) => setSql(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void run();
          }
        }}
      />
      <div>
        <button data-testid="sql-run" disabled={busy} onClick={() => void run()}>
          {busy ? "Running…" : "Run (Ctrl+Enter)"}
        </button>
        {res && (
          <span className="note" data-testid="sql-status">
            {" "}
            {res.rows.length} row(s){res.truncated ? " (first 1000 shown)" : ""} in {ms.toFixed(0)} ms
          </span>
        )}
      </div>
      {err && (
        <p className="error" data-testid="sql-error">
          {err}
        </p>
      )}
      {res && (
        <div className="result">
          <table data-testid="sql-result">
            <thead>
              <tr>
                {res.columns.map((c, i) => (
                  <th key={i} title={res.types[i]}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {res.rows.map((r, i) => (
                <tr key={i}>
                  {r.map((c, j) => (
                    <td key={j} className={typeof c === "number" || typeof c === "bigint" ? "num" : undefined}>
                      {show(c)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
