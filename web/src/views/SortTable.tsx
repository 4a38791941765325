// A table whose columns sort on click: every listing on the page uses it.

import { useMemo, useState, type ReactNode } from "react";

/** One column: how to show a row's value and how to sort by it. */
export interface Column<R> {
  key: string;
  label: string;
  render: (r: R) => ReactNode;
  sort?: (r: R) => number | string;
  numeric?: boolean;
}

/** Rows in a sortable table; `onRowClick` makes rows clickable. */
export function SortTable<R>(props: {
  columns: Column<R>[];
  rows: R[];
  testid: string;
  rowTestid?: string;
  onRowClick?: (r: R) => void;
  empty?: string;
}) {
  const [by, setBy] = useState<{ key: string; desc: boolean } | null>(null);
  const rows = useMemo(() => {
    if (!by) return props.rows;
    const col = props.columns.find((c) => c.key === by.key);
    if (!col?.sort) return props.rows;
    const s = col.sort;
    return [...props.rows].sort((a, b) => {
      const x = s(a), y = s(b);
      const c = x < y ? -1 : x > y ? 1 : 0;
      return by.desc ? -c : c;
    });
  }, [by, props.rows, props.columns]);
  if (props.rows.length === 0) return <p className="empty" data-testid={props.testid}>{props.empty ?? "None."}</p>;
  return (
    <table className="sort-table" data-testid={props.testid}>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th
              key={c.key}
              className={c.numeric ? "num" : undefined}
              onClick={() => c.sort && setBy(by?.key === c.key ? { key: c.key, desc: !by.desc } : { key: c.key, desc: true })}
              aria-sort={by?.key === c.key ? (by.desc ? "descending" : "ascending") : undefined}
              data-testid={`sort-${c.key}`}
            >
              {c.label}
              {by?.key === c.key ? (by.desc ? " ▼" : " ▲") : ""}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr
            key={i}
            data-testid={props.rowTestid}
            className={props.onRowClick ? "clickable" : undefined}
            onClick={props.onRowClick ? () => props.onRowClick!(r) : undefined}
          >
            {props.columns.map((c) => (
              <td key={c.key} className={c.numeric ? "num" : undefined}>
                {c.render(r)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
