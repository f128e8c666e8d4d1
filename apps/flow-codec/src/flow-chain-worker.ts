// One chain of local bits-back coding in a worker thread (see chain-workers.ts): the job in, a
// message per image done, then the result or the error.
import { parentPort } from 'node:worker_threads';
import type { WorkerMessage } from './chain-workers.js';
import { type ChainJob, runJob } from './flow-chains.js';

const port = parentPort;
if (!port) throw new Error('flow-chain-worker runs in a worker thread');
port.once('message', (job: ChainJob) => {
  const post = (message: WorkerMessage) => port.postMessage(message);
  try {
    const result = runJob(job, () => post({ kind: 'image' }));
    post({ kind: 'done', result });
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    post({ kind: 'error', name, message });
  }
});
