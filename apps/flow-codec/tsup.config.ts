import { defineConfig } from 'tsup';
import { appConfig } from '../../tsup.shared.js';

// The CLI, and the worker that codes one chain of local bits-back coding in a thread (chain-workers.ts finds it beside the CLI).
export default defineConfig({ ...appConfig(), entry: ['src/cli.ts', 'src/flow-chain-worker.ts'] });
