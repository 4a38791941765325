// The doctor's findings, first on the page: each pattern the CLI's
// `schedstat doctor` names (the same Rust code, run in the worker), with its
// evidence, and a click that opens the view and time range that shows it.

import { useState } from "react";

import type { Diagnosis, Finding, TimeRange } from "../doctor";
import { viewFor } from "../doctor";
import { dur } from "../format";
import type { Range } from "./ReportViews";

/** Functions of a stack, application first (leaf last), short. */
function stackText(funcs: string[]): string {
  return funcs
    .slice(0, 6)
    .reverse()
    .map((f) => f.split("/").pop() ?? f)
    .join(" → ");
}

/** The findings panel: nothing above info says what was checked. */
export function Findings({
  diagnosis,
  error,
  onZoom,
  onOpen,
}: {
  diagnosis: Diagnosis | null;
  error: string | null;
  onZoom: (r: Range) => void;
  onOpen: (view: "flame" | "spikes" | "gc") => void;
}) {
  if (error) {
    return (
      <p className="error" data-testid="findings-error">
        Findings: {error}
      </p>
    );
  }
  if (!diagnosis) {
    return (
      <p className="note" data-testid="findings-pending">
        Looking for known patterns…
      </p>
    );
  }
  const serious = diagnosis.findings.filter((f) => f.severity !== "info").length;
  return (
    <section className="findings" data-testid="findings">
      <h2>Findings</h2>
      {diagnosis.findings.length === 0 ? (
        <p data-testid="findings-none">
          No finding: none of the {diagnosis.checks.length} patterns ({diagnosis.checks.map((c) => c.id).join(", ")}) showed in
          this trace.
        </p>
      ) : serious === 0 ? (
        <p className="note">Nothing serious: {diagnosis.findings.length} informational finding(s).</p>
      ) : null}
      <ol>
        {diagnosis.findings.map((f) => (
          <FindingItem key={f.id} f={f} start={diagnosis.start_ns} onZoom={onZoom} onOpen={onOpen} />
        ))}
      </ol>
    </section>
  );
}

function FindingItem({
  f,
  start,
  onZoom,
  onOpen,
}: {
  f: Finding;
  start: number;
  onZoom: (r: Range) => void;
  onOpen: (view: "flame" | "spikes" | "gc") => void;
}) {
  const [open, setOpen] = useState(f.severity !== "info");
  const view = viewFor(f);
  const go = (r?: TimeRange) => {
    if (view === "timeline") {
      const t = r ?? f.ranges[0];
      onZoom({ lo: t.start_ns, hi: t.end_ns });
    } else {
      onOpen(view);
    }
  };
  return (
    <li className={`finding ${f.severity}`} data-testid={`finding-${f.id}`} data-severity={f.severity}>
      <div className="finding-head">
        <span className="severity">{f.severity}</span> <code>{f.id}</code>{" "}
        <button className="link" data-testid={`finding-open-${f.id}`} onClick={() => go()} title="Open the view that shows it">
          {f.verdict}
        </button>{" "}
        <button className="link note" onClick={() => setOpen(!open)}>
          {open ? "less" : "evidence…"}
        </button>
      </div>
      {open && (
        <div className="finding-body">
          <ul>
            {f.evidence.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
          {f.stacks.length > 0 && (
            <ul className="stacks">
              {f.stacks.map((s, i) => (
                <li key={i}>
                  {s.role} ({s.count}
                  {s.total_ns !== null ? `, ${dur(s.total_ns)}` : ""}): <code>{stackText(s.funcs)}</code>
                </li>
              ))}
            </ul>
          )}
          {f.ranges.length > 0 && (
            <ul className="ranges">
              {f.ranges.map((r, i) => (
                <li key={i}>
                  <button className="link" data-testid={`finding-range-${f.id}-${i}`} onClick={() => go(r)}>
                    +{dur(r.start_ns - start)} to +{dur(r.end_ns - start)}
                  </button>{" "}
                  ({dur(r.end_ns - r.start_ns)}): {r.what}
                </li>
              ))}
            </ul>
          )}
          <p>Try:</p>
          <ul>
            {f.advice.map((a) => (
              <li key={a}>{a}</li>
            ))}
          </ul>
        </div>
      )}
    </li>
  );
}
