import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 120000, pool: 'forks', setupFiles: ['@flows/test-support/vitest-setup'] } });
