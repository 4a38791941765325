import { defineConfig } from "vitest/config";

export default defineConfig({
  // The tests import ../sql/*.sql and the fixtures from the repository root.
  server: { fs: { allow: [".."] } },
  test: { testTimeout: 60_000, include: ["test/**/*.test.ts"] },
});
