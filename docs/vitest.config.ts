import { defineConfig } from 'vitest/config';

// The examples themselves run in child processes; only the runner is a vitest file here.
export default defineConfig({ test: { include: ['code-blocks.test.ts'], testTimeout: 600_000, pool: 'forks' } });
