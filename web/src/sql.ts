// The page's side of the shared SQL files: fills their `{{name}}` integer
// placeholders exactly as the CLI's `schedstat_report::sql::bind` does.

/** Replaces every `{{name}}` in `sql` with the integer `params[name]`. */
export function bind(sql: string, params: Record<string, number | bigint>): string {
  let s = sql;
  for (const [name, v] of Object.entries(params)) {
    if (typeof v === "number" && !Number.isInteger(v)) throw new Error(`{{${name}}}: ${v} is not an integer`);
    s = s.split(`{{${name}}}`).join(String(v));
  }
  return s;
}
