//! Query results as a boxed text table (for `--sql`).

use schedstat_db::QueryResult;

/// Renders a result as an ASCII table; cells longer than `max_cell` are cut with `…`.
pub fn render(r: &QueryResult, max_cell: usize) -> String {
    let cut = |s: String| -> String {
        if s.chars().count() > max_cell {
            let mut t: String = s.chars().take(max_cell.saturating_sub(1)).collect();
            t.push('…');
            t
        } else {
            s
        }
    };
    let rows: Vec<Vec<String>> = r.rows.iter().map(|row| row.iter().map(|c| cut(c.to_string())).collect()).collect();
    let mut widths: Vec<usize> = r.columns.iter().map(|c| c.chars().count()).collect();
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let sep: String = widths.iter().map(|w| format!("+{}", "-".repeat(w + 2))).collect::<String>() + "+\n";
    let line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (i, w) in widths.iter().enumerate() {
            let c = cells.get(i).map(String::as_str).unwrap_or("");
            s.push_str(&format!("| {}{} ", c, " ".repeat(w - c.chars().count())));
        }
        s + "|\n"
    };
    let mut out = sep.clone();
    out.push_str(&line(&r.columns));
    out.push_str(&sep);
    for row in &rows {
        out.push_str(&line(row));
    }
    out.push_str(&sep);
    out.push_str(&format!("({} row{})\n", rows.len(), if rows.len() == 1 { "" } else { "s" }));
    out
}
