import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The setup file imports @tensorflow/tfjs, which registers what src/tensorflow-registrations.ts
// would; that module's imports (ES modules Node cannot load) are replaced by an empty one here.
const empty = fileURLToPath(new URL('./vitest.empty-module.ts', import.meta.url));

export default defineConfig({
  resolve: {
    alias: [{ find: /^@tensorflow\/tfjs-core\/dist\/(register_all_gradients|public\/chained_ops\/register_all_chained_ops)$/, replacement: empty }],
  },
  test: { include: ['src/**/*.test.ts'], testTimeout: 120000, pool: 'forks', setupFiles: ['@flows/test-support/vitest-setup', './vitest.setup.ts'] },
});
