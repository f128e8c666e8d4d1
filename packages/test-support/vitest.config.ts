import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['src/**/*.test.ts'], pool: 'forks', setupFiles: ['./src/vitest-setup.ts'] } });
