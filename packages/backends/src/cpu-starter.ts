import * as tf from '@tensorflow/tfjs-core';
import type { BackendStarter } from './backend-starter.js';

/** The pure-JavaScript backend: always there, exact, the slowest. */
export const cpuStarter: BackendStarter<'cpu'> = {
  name: 'cpu',
  runsIn: ['node', 'browser'],
  async start() {
    // A dependency of this package: registers itself on import (once; later imports are cached).
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new Error("the 'cpu' backend did not start");
    // The cpu backend prints advice to install tfjs-node on first use; the choice is reported instead.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    return {};
  },
  describe: () => '',
};
