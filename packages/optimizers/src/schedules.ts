/**
 * A learning rate as a function of the (1-based) step. Any `(step) => rate` function is one; a
 * schedule may also say the highest rate it reaches (`peak`), as those of {@link schedules} do, so
 * that a diverging run's message can name the rate the user chose rather than the current one.
 */
export interface LearningRateSchedule {
  (step: number): number;
  /** The highest rate the schedule gives, when known. */
  readonly peak?: number;
}

/** A schedule that knows its peak rate: what {@link schedules} make. */
export interface PeakedSchedule extends LearningRateSchedule {
  readonly peak: number;
}

/** The schedule `rate` (a new function: `rate` itself is left as it is) with its peak attached. */
export function withPeak(peak: number, rate: (step: number) => number): PeakedSchedule {
  return Object.assign((step: number) => rate(step), { peak });
}

/** Learning-rate schedules. */
export const schedules = {
  constant: (lr: number): PeakedSchedule => withPeak(lr, () => lr),
  /** Cosine decay from `lr` to `lr · floor` over `totalSteps`, after `warmupSteps` of linear warm-up. */
  cosine: (lr: number, totalSteps: number, options: { warmupSteps?: number; floor?: number } = {}): PeakedSchedule =>
    withPeak(lr, (step) => {
      const warmup = options.warmupSteps ?? 0;
      if (step <= warmup) return (lr * step) / Math.max(1, warmup);
      const progress = Math.min(1, (step - warmup) / Math.max(1, totalSteps - warmup));
      const floor = options.floor ?? 0.01;
      return lr * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }),
  /** Multiply by `factor` every `every` steps. */
  step: (lr: number, every: number, factor = 0.5): PeakedSchedule => withPeak(lr, (step) => lr * factor ** Math.floor((step - 1) / every)),
};
