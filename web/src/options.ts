// What the page asks of the report: every section the CLI can add, so each
// view has its data. Kept in src/page-report.json with the same request as
// `schedstat` flags, which scripts/web-record-expected.sh and the e2e test
// pass to the CLI to get the answer the page must equal.

import page from "./page-report.json";

/** The report's options as `schedstat_report::Options` reads them (JSON). */
export const PAGE_REPORT_OPTIONS: Record<string, number | boolean> = page.options;

/** The same, as `schedstat` flags. */
export const PAGE_REPORT_FLAGS: string[] = page.flags;
