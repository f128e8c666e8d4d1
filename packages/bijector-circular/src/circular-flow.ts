import { assertKnownOptions, optionNames, Random } from '@flows/core';
import { alternatingMask, type Bijector, Chain, invertMask } from '@flows/bijectors';
import { CircularShift } from './circular-shift.js';
import { CircularSplineCoupling } from './circular-spline-coupling.js';

/** Options of {@link circularFlow}. */
export interface CircularFlowOptions {
  /** Number of angles D (at least 2: a coupling needs angles to condition on). */
  size: number;
  /** Coupling layers (default 4). */
  layers?: number;
  bins?: number;
  hidden?: number[];
  contextSize?: number;
  seed?: number;
}

const CIRCULAR_FLOW_OPTION_NAMES = optionNames<CircularFlowOptions>()(['size', 'layers', 'bins', 'hidden', 'contextSize', 'seed']);

/**
 * A flow on the torus [−π, π)^D as one `Chain`: circular spline couplings with alternating masks,
 * each after a learned {@link CircularShift} (so the cuts of successive splines need not sit at
 * the same angle). Put it on a `VonMises` (or `Uniform` on [−π, π]^D) base.
 */
export function circularFlow(options: CircularFlowOptions): Chain {
  assertKnownOptions(options, CIRCULAR_FLOW_OPTION_NAMES, 'circularFlow');
  const { size } = options;
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`circularFlow: size must be an integer of at least 2 (angles to condition on), got ${size}`);
  const random = new Random(options.seed ?? 0);
  const layers: Bijector[] = [];
  const mask = alternatingMask(size);
  for (let i = 0; i < (options.layers ?? 4); i++) {
    layers.push(new CircularShift({ size }));
    layers.push(
      new CircularSplineCoupling({
        mask: i % 2 === 0 ? mask : invertMask(mask),
        bins: options.bins,
        hidden: options.hidden ?? [64, 64],
        contextSize: options.contextSize,
        seed: random.nextUint32(),
      }),
    );
  }
  return new Chain(layers);
}
