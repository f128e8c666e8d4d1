import { assertKnownOptions, optionNames, Random, renamedOption } from '@flows/core';
import { type Bijector, Chain, halfMask, invertMask } from '@flows/bijectors';
import { SplineAutoregressive } from './spline-autoregressive.js';
import { SplineCoupling } from './spline-coupling.js';

/** Options of {@link splineFlow}. */
export interface SplineFlowOptions {
  /** Event size D (required; `dims` is its deprecated old name). */
  size?: number;
  /** @deprecated the old name of `size`, accepted for one more release with a warning. */
  dims?: number;
  /** Number of layers (default 4). */
  layers?: number;
  /** `coupling` (halves swapped each layer; fast both ways) or `autoregressive` (orders reversed each layer). Default coupling. */
  kind?: 'coupling' | 'autoregressive';
  bins?: number;
  bound?: number;
  hidden?: number[];
  contextSize?: number;
  seed?: number;
}

const SPLINE_FLOW_OPTION_NAMES = optionNames<SplineFlowOptions>()(['size', 'dims', 'layers', 'kind', 'bins', 'bound', 'hidden', 'contextSize', 'seed']);

/** A stack of spline layers as one `Chain`, ready to put on a base distribution. */
export function splineFlow(options: SplineFlowOptions): Chain {
  assertKnownOptions(options, SPLINE_FLOW_OPTION_NAMES, 'splineFlow');
  const size = renamedOption<number>(options, 'dims', 'size', 'splineFlow');
  if (!Number.isInteger(size) || (size as number) < 1) throw new RangeError(`splineFlow: size (the event size D) must be a positive integer, got ${size}`);
  const random = new Random(options.seed ?? 0);
  const layers: Bijector[] = [];
  const kind = options.kind ?? 'coupling';
  for (let i = 0; i < (options.layers ?? 4); i++) {
    const shared = {
      bins: options.bins,
      bound: options.bound,
      hidden: options.hidden ?? [64, 64],
      contextSize: options.contextSize,
      seed: random.nextUint32(),
    };
    if (kind === 'autoregressive') {
      layers.push(new SplineAutoregressive({ ...shared, size: size as number, order: i % 2 === 0 ? 'natural' : 'reversed' }));
    } else {
      const mask = halfMask(size as number);
      layers.push(new SplineCoupling({ ...shared, mask: i % 2 === 0 ? mask : invertMask(mask) }));
    }
  }
  return new Chain(layers);
}
