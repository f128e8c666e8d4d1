import { DENSE_COUPLING_INVERSE } from '@flows/kernels';
import { denseCouplingShapes, gatheredOf, gatheredShapes, planHead, withHeap } from './dense-coupling-plan.js';
import type { FusedKernel } from './native-kernel.js';

/**
 * `@flows/kernels`' `denseCouplingInverse`: the masked affine coupling with its two ReLU MLPs in
 * one native call (`native/dense-coupling.c`): the batch's rows split between the threads, each
 * running both networks and the coupling for its rows, the products skipping the masked input's
 * zero rows and the discarded output columns. Its outputs after x and the log-det are what the
 * gradient kernel reads back: the networks' input, the scale network's output, the hidden layers
 * and the gathered copies of the first and last layers' weights that the products read.
 */
export const denseCouplingInverse: FusedKernel<typeof DENSE_COUPLING_INVERSE> = {
  kind: 'fused',
  kernelName: DENSE_COUPLING_INVERSE,
  run({ inputs, backend, attrs }, addon) {
    const { y, inverseMask, scaleFactor, context } = inputs;
    const shapes = denseCouplingShapes(
      DENSE_COUPLING_INVERSE,
      backend,
      { y, inverseMask, scaleFactor, context },
      (network, i) => inputs[`${network}Weight${i}`],
      (network, i) => inputs[`${network}Bias${i}`],
      attrs,
    );
    const { batch, size, contextSize, kept, widths } = shapes;
    const x = backend.makeOutput([...y.shape], 'float32');
    const logDet = backend.makeOutput([batch], 'float32');
    const conditionerInput = backend.makeOutput([batch, kept + contextSize], 'float32');
    const scaleRaw = backend.makeOutput([batch, size - kept], 'float32');
    const hidden = widths.map((w) => w.slice(1, -1).map((width) => backend.makeOutput([batch, width], 'float32')));
    const gathered = widths.map((w) => gatheredShapes(w, kept + contextSize, size - kept).map((shape) => backend.makeOutput(shape, 'float32')));
    const layerOperands = (['scale', 'translation'] as const).flatMap((network, n) =>
      widths[n]
        .slice(1)
        .flatMap((_, i) => [
          inputs[`${network}Weight${i}`],
          inputs[`${network}Bias${i}`],
          hidden[n][i] ?? null,
          gatheredOf(gathered[n], i, widths[n].length - 1),
        ]),
    );
    withHeap(backend, (heap, offset) =>
      addon.denseCouplingInverse(
        heap,
        Float64Array.from([
          ...planHead(shapes, attrs.tanh),
          ...[y, inverseMask, scaleFactor, context, x, logDet, conditionerInput, scaleRaw].map(offset),
          ...layerOperands.map(offset),
        ]),
      ),
    );
    return [x, logDet, conditionerInput, scaleRaw, ...hidden.flat(), ...gathered.flat()];
  },
};
