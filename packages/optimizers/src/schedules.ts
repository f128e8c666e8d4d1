/** A learning rate as a function of the (1-based) step. */
export type LearningRateSchedule = (step: number) => number;

/** A schedule that remembers its peak rate, so that messages can name the rate the user chose. */
export function withPeak(peak: number, schedule: LearningRateSchedule): LearningRateSchedule {
  return Object.assign(schedule, { peak });
}

/** The highest rate of a schedule made by {@link schedules} (or of a constant), else undefined. */
export function peakLearningRate(rate: number | LearningRateSchedule | undefined): number | undefined {
  return typeof rate === 'number' ? rate : (rate as { peak?: number } | undefined)?.peak;
}

/** Learning-rate schedules. */
export const schedules = {
  constant: (lr: number): LearningRateSchedule => withPeak(lr, () => lr),
  /** Cosine decay from `lr` to `lr · floor` over `totalSteps`, after `warmupSteps` of linear warm-up. */
  cosine: (lr: number, totalSteps: number, options: { warmupSteps?: number; floor?: number } = {}): LearningRateSchedule =>
    withPeak(lr, (step) => {
      const warmup = options.warmupSteps ?? 0;
      if (step <= warmup) return (lr * step) / Math.max(1, warmup);
      const progress = Math.min(1, (step - warmup) / Math.max(1, totalSteps - warmup));
      const floor = options.floor ?? 0.01;
      return lr * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }),
  /** Multiply by `factor` every `every` steps. */
  step: (lr: number, every: number, factor = 0.5): LearningRateSchedule => withPeak(lr, (step) => lr * factor ** Math.floor((step - 1) / every)),
};
