/**
 * Process-wide switches that trade speed against checks or pick an implementation. They live in
 * one object so that a package never flips another package's module-level state: whoever changes
 * a setting (a user, a test, `selectBackend` of `@flows/flows` for the backend it picks) does so
 * here, and every reader sees the same value.
 */
export interface RuntimeSettings {
  /**
   * Public methods reject inputs holding NaN or ±Infinity (one small reduction and a read per
   * call). On by default; turn off in hot loops whose inputs are known to be finite.
   */
  finiteChecks: boolean;
  /**
   * How dense layers compute their gradients:
   * - `'explicit-transpose'` (default): transpose, then multiply without transpose flags; the
   *   stock wasm kernels run transposed products an order of magnitude slower than plain ones
   *   (bench/results.md).
   * - `'transpose-flags'`: single products with transpose flags; faster where transposed products
   *   cost no more than plain ones (GPU backends, native kernels).
   * - `'autodiff'`: plain `tf.matMul` with TensorFlow.js autodiff, the reference composition.
   */
  denseGradients: 'explicit-transpose' | 'transpose-flags' | 'autodiff';
  /**
   * Run the fused kernels of `@flows/kernels` where the active backend registers them (the
   * `webgpu` backend's WGSL programs; on by default); off, every backend runs the reference
   * compositions of stock operations.
   */
  fusedKernels: boolean;
}

// Replaced (never mutated) on every change, so readers in hot loops get it without a copy.
let settings: Readonly<RuntimeSettings> = Object.freeze({
  finiteChecks: true,
  denseGradients: 'explicit-transpose',
  fusedKernels: true,
});

const denseGradientChoices: readonly RuntimeSettings['denseGradients'][] = ['explicit-transpose', 'transpose-flags', 'autodiff'];

/** The current settings (read-only; change them with {@link configureRuntime}). */
export function runtimeSettings(): Readonly<RuntimeSettings> {
  return settings;
}

/**
 * Changes some settings and returns the previous values of all of them, so a caller can restore
 * them: `const before = configureRuntime({ finiteChecks: false }); …; configureRuntime(before)`.
 */
export function configureRuntime(changes: Partial<RuntimeSettings>): RuntimeSettings {
  const before = { ...settings };
  const next = { ...settings };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (key === 'finiteChecks' || key === 'fusedKernels') {
      if (typeof value !== 'boolean') throw new TypeError(`configureRuntime: ${key} must be true or false, got ${String(value)}`);
      next[key] = value;
    } else if (key === 'denseGradients') {
      if (!denseGradientChoices.includes(value as RuntimeSettings['denseGradients'])) {
        throw new TypeError(`configureRuntime: denseGradients must be one of ${denseGradientChoices.join(', ')}, got ${String(value)}`);
      }
      next.denseGradients = value as RuntimeSettings['denseGradients'];
    } else {
      throw new TypeError(`configureRuntime: unknown setting '${key}'; valid settings: finiteChecks, denseGradients, fusedKernels`);
    }
  }
  settings = Object.freeze(next);
  return before;
}
