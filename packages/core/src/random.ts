/**
 * A seeded pseudo-random generator that does not depend on the TensorFlow.js backend.
 *
 * Every random choice in the project (masks, permutations, initial weights, noise) goes
 * through this class, so a seed gives the same numbers on `cpu`, `wasm`, `webgpu` and
 * `tensorflow`, and a training run can save and restore the generator's state.
 *
 * The core is xoshiro128** (Blackman and Vigna, 2018), seeded through splitmix32; normal
 * draws use the Box-Muller transform and keep the spare draw in the saved state.
 */
export interface RandomState {
  /** The four 32-bit words of the xoshiro128** state. */
  words: [number, number, number, number];
  /** The unused second value of the last Box-Muller pair, if any. */
  spareNormal: number | null;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const TWO_POW_32 = 4294967296;

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  /** @param seed any finite number; equal seeds give equal streams. */
  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new Error(`Random: seed must be a finite number, got ${seed}`);
    // Fold the high bits in too, so seeds above 2^32 still differ.
    const mixed = (Math.floor(seed) ^ Math.floor(seed / TWO_POW_32)) >>> 0;
    const next = splitmix32(mixed);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator restored from {@link Random.getState}. */
  static fromState(state: RandomState): Random {
    const random = new Random(0);
    random.setState(state);
    return random;
  }

  getState(): RandomState {
    return { words: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spareNormal };
  }

  setState(state: RandomState): void {
    const words = state?.words;
    if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
      throw new Error('Random.setState: expected {words: four 32-bit unsigned integers, spareNormal}');
    }
    if ((words[0] | words[1] | words[2] | words[3]) === 0) throw new Error('Random.setState: an all-zero state is invalid');
    [this.s0, this.s1, this.s2, this.s3] = words;
    this.spareNormal = typeof state.spareNormal === 'number' ? state.spareNormal : null;
  }

  /** The next 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Standard normal draw. */
  normal(): number {
    if (this.spareNormal !== null) {
      const value = this.spareNormal;
      this.spareNormal = null;
      return value;
    }
    // 1 - u keeps the logarithm's argument in (0, 1].
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Random.int: n must be a positive integer, got ${n}`);
    // Rejection sampling removes the modulo bias.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let value = this.nextUint32();
    while (value >= limit) value = this.nextUint32();
    return value % n;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[] {
    const order = Array.from({ length: n }, (_, i) => i);
    this.shuffleInPlace(order);
    return order;
  }

  shuffleInPlace<T>(items: T[] | Int32Array | Uint32Array | Float32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
  }

  /** Fills `out` with N(mean, std^2) draws and returns it. */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fills `out` with U[low, high) draws and returns it. */
  fillUniform(out: Float32Array, low = 0, high = 1): Float32Array {
    const width = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + width * this.uniform();
    return out;
  }

  /** An independent generator seeded from this one (advances this one by one draw). */
  fork(): Random {
    return new Random(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A generator from a seed, an existing generator, or a fresh default seed. */
export function toRandom(source: Random | number | undefined): Random {
  if (source instanceof Random) return source;
  if (source === undefined) return new Random(Math.floor(Math.random() * TWO_POW_32));
  return new Random(source);
}
