import { DENSE_COUPLING_INVERSE_GRADIENT } from '@flows/kernels';
import { denseCouplingShapes, gatheredOf, gatheredShapes, planHead, withHeap } from './dense-coupling-plan.js';
import type { FusedKernel } from './native-kernel.js';

/**
 * The gradient kernel of `@flows/kernels`' `denseCouplingInverse` in one native call
 * (`native/dense-coupling.c`): each thread takes its rows back through the coupling and both
 * networks (the gradients of y and of the context), then each layer's weight gradient is one
 * product over all rows split between the threads; the biases' and the factor's gradients are the
 * threads' column sums added.
 */
export const denseCouplingInverseGradient: FusedKernel<typeof DENSE_COUPLING_INVERSE_GRADIENT> = {
  kind: 'fused',
  kernelName: DENSE_COUPLING_INVERSE_GRADIENT,
  run({ inputs, backend, attrs }, addon) {
    const { dx, dl, y, inverseMask, scaleFactor, context, x, conditionerInput, scaleRaw } = inputs;
    const shapes = denseCouplingShapes(
      DENSE_COUPLING_INVERSE_GRADIENT,
      backend,
      { y, inverseMask, scaleFactor, context },
      (network, i) => inputs[`${network}Weight${i}`],
      null,
      attrs,
    );
    const { batch, size, contextSize, kept, widths } = shapes;
    const expect = (what: string, t: { shape: number[]; dtype: string } | undefined, shape: number[]) => {
      if (t?.dtype !== 'float32' || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
        throw new RangeError(`${DENSE_COUPLING_INVERSE_GRADIENT}: ${what} must be float32 [${shape}], got ${t ? `[${t.shape}]` : 'none'}`);
    };
    expect('dx', dx, y.shape);
    expect('dl', dl, [batch]);
    expect('x', x, y.shape);
    expect('the conditioner input', conditionerInput, [batch, kept + contextSize]);
    expect('the scale network’s output', scaleRaw, [batch, size - kept]);
    const hidden = (['scale', 'translation'] as const).map((network, n) =>
      widths[n].slice(1, -1).map((width, i) => {
        const h = inputs[`${network}Hidden${i}`];
        expect(`${network} hidden layer ${i}`, h, [batch, width]);
        return h;
      }),
    );
    const gathered = (['scale', 'translation'] as const).map((network, n) =>
      gatheredShapes(widths[n], kept + contextSize, size - kept).map((shape, j) => {
        const g = inputs[`${network}Gathered${j}`];
        expect(`${network}'s gathered weights ${j}`, g, shape);
        return g;
      }),
    );
    const dy = backend.makeOutput([...y.shape], 'float32');
    const dScaleFactor = backend.makeOutput([...scaleFactor.shape], 'float32');
    const dContext = backend.makeOutput([batch, contextSize], 'float32');
    const layerGradients = widths.flatMap((w) =>
      w.slice(1).flatMap((out, i) => [backend.makeOutput([w[i], out], 'float32'), backend.makeOutput([out], 'float32')]),
    );
    let at = 0;
    const layerOperands = (['scale', 'translation'] as const).flatMap((network, n) =>
      widths[n]
        .slice(1)
        .flatMap((_, i) => [
          inputs[`${network}Weight${i}`],
          hidden[n][i] ?? null,
          gatheredOf(gathered[n], i, widths[n].length - 1),
          layerGradients[at++],
          layerGradients[at++],
        ]),
    );
    withHeap(backend, (heap, offset) =>
      addon.denseCouplingInverseGradient(
        heap,
        Float64Array.from([
          ...planHead(shapes, attrs.tanh),
          ...[dx, dl, y, inverseMask, scaleFactor, context, x, conditionerInput, scaleRaw, dy, dScaleFactor, dContext].map(offset),
          ...layerOperands.map(offset),
        ]),
      ),
    );
    return [dy, dScaleFactor, dContext, ...layerGradients];
  },
};
