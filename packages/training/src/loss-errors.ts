/** The settings fit's errors may suggest, each named as the caller's users know it (fit's `settingNames` option). */
export interface SettingNames {
  learningRate?: string;
  clipNorm?: string;
  scaleTanh?: string;
}

/** "a, b, or c". */
function alternatives(items: string[]): string {
  return items.length <= 2 ? items.join(', or ') : `${items.slice(0, -1).join(', ')}, or ${items[items.length - 1]}`;
}

/** The remedies an error offers, in the caller's names when it gave them (`peak`: the run's peak learning rate). */
function remedies(names: SettingNames | undefined, settings: readonly (keyof SettingNames)[], peak?: number): string {
  const peakText = peak === undefined ? '' : `this run's peak: ${peak.toPrecision(3)}`;
  if (!names) {
    const rest = settings.filter((setting) => setting !== 'learningRate');
    return `Try ${alternatives([`a lower learning rate${peakText ? ` (${peakText})` : ''}`, ...rest])}.`;
  }
  const learningRate = [names.learningRate, peakText].filter(Boolean).join('; ');
  const items = [`a lower learning rate${learningRate ? ` (${learningRate})` : ''}`];
  if (settings.includes('clipNorm') && names.clipNorm) items.push(`a gradient-norm clip (${names.clipNorm})`);
  if (settings.includes('scaleTanh') && names.scaleTanh) items.push(`tanh-bounded scales (${names.scaleTanh})`);
  return `Try ${alternatives(items)}.`;
}

/** Thrown when the loss turns NaN or infinite; the weights of the last good report are restored. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly restoredStep: number,
    settingNames?: SettingNames,
  ) {
    super(
      `the training loss became NaN or infinite by step ${step}; weights restored to those of step ${restoredStep}. ${remedies(settingNames, ['learningRate', 'clipNorm', 'scaleTanh'])}`,
    );
    this.name = 'NonFiniteLossError';
  }
}

/**
 * Thrown when the training loss runs away: far above both its starting value and its best (by
 * more than `divergence` times the larger of 1, the best loss's size and the progress made). The
 * weights of the last report before it are restored.
 */
export class DivergenceError extends Error {
  constructor(
    readonly step: number,
    readonly restoredStep: number,
    readonly loss: number,
    readonly bestLoss: number,
    learningRate: number,
    settingNames?: SettingNames,
  ) {
    super(
      `the training loss rose to ${loss.toPrecision(3)} by step ${step}, far above its best of ${bestLoss.toPrecision(4)}: the run diverged; weights restored to those of step ${restoredStep}. ` +
        remedies(settingNames, ['learningRate', 'clipNorm'], learningRate),
    );
    this.name = 'DivergenceError';
  }
}
