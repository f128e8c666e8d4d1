import { Distribution, NoClosedFormError } from '@flows/distributions';

/** A 2-D (or D-dimensional) toy target for density estimation. */
export abstract class ToyDistribution extends Distribution<{ name: string }> {
  /** Name used on the command line, e.g. `two-gaussians`. */
  abstract readonly name: string;
  /** Whether `logProb` is the exact log-density. Sample-only toys throw from `logProb`. */
  abstract readonly hasExactDensity: boolean;
  /**
   * The differential entropy in nats: the lowest expected NLL any model can reach. Closed form where
   * one exists, otherwise numerical quadrature; sample-only toys (`hasExactDensity` false) throw
   * {@link NoClosedFormError}.
   */
  override entropy(): number {
    throw new NoClosedFormError(this.name, 'entropy (the toy is sample-only)');
  }
  /** The plotting window `[[xmin, xmax], [ymin, ymax]]` that covers the mass. */
  abstract readonly plotRange: [[number, number], [number, number]];
  /** One line saying what the toy is. */
  abstract readonly description: string;

  getConfig(): { name: string } {
    return { name: this.name };
  }
}

/** Thrown by `logProb` of toys that are defined only through their sampler. */
export class NoExactDensityError extends Error {
  constructor(name: string) {
    super(`${name} is sample-only: it has no exact density (hasExactDensity is false)`);
    this.name = 'NoExactDensityError';
  }
}
