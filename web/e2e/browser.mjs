// Launches Debian's Chromium (installed by scripts/chromium.sh, never a
// browser download) headless with playwright-core, for the e2e tests and the
// size/speed bench. Shared so both measure the same browser the same way.
//
// The flags keep a headless run quiet and self-contained: no sandbox (CI
// containers run as root), no GPU, no background networking, updates or
// sync. launch() gives a fresh, throw-away user data dir every time.

import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

/** Where scripts/chromium.sh puts Chromium; SCHEDSTAT_CHROMIUM overrides it. */
export const CHROMIUM = process.env.SCHEDSTAT_CHROMIUM || "/usr/bin/chromium";

/** The command-line flags every run uses. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Exposes performance.memory's real (unbucketed) numbers for the bench.
  "--enable-precise-memory-info",
];

/**
 * Starts headless Chromium.
 * @returns {Promise<import("playwright-core").Browser>}
 */
export async function launchChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/chromium.sh (it installs Debian's chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
