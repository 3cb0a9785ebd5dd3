import { defineConfig } from "vitest/config";
export default defineConfig({
  test: { include: ["test/server/**/*.test.ts"], testTimeout: 60_000 },
});
