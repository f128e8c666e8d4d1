/**
 * A streaming range asymmetric numeral system (rANS) coder, after Duda (2013, "Asymmetric numeral
 * systems: entropy coding combining speed of Huffman coding with compression rate of arithmetic
 * coding") in the interleaving-free form of Giesen (2014, "Interleaved entropy coders"), used as a
 * stack as bits-back coding needs it (Townsend, Bird and Barber 2019, "Practical lossless
 * compression with latent variables using bits back coding").
 *
 * The state x is a 64-bit integer held as two unsigned 32-bit words (hi, lo), kept in
 * [L, 2^64) with L = 2^32 between operations; the stream is an array of 32-bit words. A symbol with
 * quantised frequency f and cumulative frequency c, out of a total of M = 2^P (P ≤ 16 bits of
 * precision):
 *
 * - push (encode): while x ≥ f · 2^(64−P), emit the low word and shift x right by 32; then
 *   x ← ⌊x / f⌋ · M + (x mod f) + c;
 * - pop (decode): s is the symbol whose interval holds x mod M; then
 *   x ← f · ⌊x / M⌋ + (x mod M) − c, and while x < 2^32, shift x left by 32 and take a word back.
 *
 * Pop undoes push exactly, so symbols come back in the reverse order of their pushes. Each push
 * adds log₂(M / f) bits to the message, up to the fixed cost of the final state (64 bits) and less
 * than one word of slack. Everything is integer arithmetic in float64 with every intermediate
 * below 2^53, so results are identical on every JavaScript engine.
 */

const TWO_32 = 4_294_967_296;

/** The largest number of precision bits: keeps every intermediate product below 2^53. */
export const MAX_PRECISION = 16;

/**
 * Thrown when a message cannot be what was pushed: it holds a word that is not one (not a whole
 * number below 2^32) or ends in an impossible state, a pop ran out of words, the lookup's interval
 * does not hold the slot (decoded with other frequencies), or {@link RansStack.assertEmpty} finds
 * words or state left after the last pop.
 *
 * What it cannot promise: rANS decodes every sequence of words to some sequence of symbols, so a
 * corrupted word is not seen by the pop that reads it, and the symbols differ from there on. Most
 * corruption then shows at the end, as words left or a state not back to the initial one
 * ({@link RansStack.assertEmpty}); but the decoder's state can also come back onto the true one a
 * few symbols later, and the message is then a valid one of other symbols (in this package's test,
 * 12 of 2 336 single-bit changes did so, each changing one symbol). Only a digest of the decoded
 * data (a codec file's `dataHash`) catches those: check it before trusting what was popped.
 */
export class RansError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RansError';
  }
}

/** One symbol's place in a quantised distribution: `start` (cumulative frequency) and `frequency`, out of 2^precision. */
export interface SymbolInterval {
  start: number;
  frequency: number;
}

/** How a pop finds the symbol of a slot `x mod 2^precision`, and that symbol's interval. */
export interface SymbolLookup {
  precision: number;
  /** The symbol whose interval holds `slot`. */
  symbolOf(slot: number): number;
  interval(symbol: number): SymbolInterval;
}

/** 2^k for k = 0 … 32: read from a table in the coder's inner loop. */
const POW2 = Float64Array.from({ length: 33 }, (_, k) => 2 ** k);

function checkPrecision(precision: number): void {
  if (!((precision | 0) === precision && precision >= 1 && precision <= MAX_PRECISION))
    throw new RangeError(`precision must be a whole number of bits from 1 to ${MAX_PRECISION}, got ${precision}`);
}

/** Options of a {@link RansStack}. */
export interface RansStackOptions {
  /**
   * Where a pop takes a word when the stack has none left: the words of an endless stream below the
   * message, taken in order (bits-back coding's seed, drawn only as deep as its first pops reach).
   * Without it, such a pop throws a {@link RansError}.
   */
  refill?: () => number;
}

/** The rANS state and its stream of words: a stack of symbols. */
export class RansStack {
  private hi: number;
  private lo: number;
  private readonly words: number[];
  private readonly refill?: () => number;

  /**
   * An empty message (state 2^32, no words), or one read back from {@link RansStack.toWords} /
   * {@link RansStack.toBytes}. Every word must be a whole number from 0 to 2^32 − 1: anything else
   * (NaN, a fraction, a negative number, 2^32 or more) is refused with a {@link RansError} naming
   * the word, rather than coerced into some other message.
   */
  constructor(words?: ArrayLike<number>, options: RansStackOptions = {}) {
    this.refill = options.refill;
    if (!words) {
      this.hi = 1;
      this.lo = 0;
      this.words = [];
      return;
    }
    if (words.length < 2) throw new RansError(`a message has at least the two words of its state, got ${words.length}`);
    const all = Array.from(words);
    for (let k = 0; k < all.length; k++) {
      const word = all[k];
      if (!(Number.isInteger(word) && word >= 0 && word < TWO_32))
        throw new RansError(`word ${k} of the message is ${String(word)}: a word is a whole number from 0 to 2^32 − 1`);
    }
    this.words = all.slice(0, all.length - 2);
    this.hi = all[all.length - 2];
    this.lo = all[all.length - 1];
    if (this.hi === 0) throw new RansError('the message ends in an invalid state (below 2^32): it is truncated or corrupt');
  }

  /** Pushes one symbol given its interval out of 2^precision. */
  push(interval: SymbolInterval, precision: number): void {
    const { start, frequency } = interval;
    checkPrecision(precision);
    const total = POW2[precision];
    // (v | 0) === v: a whole number (all of these lie below 2^31 when valid).
    if (!((frequency | 0) === frequency && frequency >= 1 && (start | 0) === start && start >= 0 && start + frequency <= total)) {
      throw new RangeError(`rANS push: interval [${start}, ${start + frequency}) is not a non-empty part of [0, 2^${precision})`);
    }
    // Renormalise: the state after the push must stay below 2^64, which holds when x < f · 2^(64 − P).
    // In words: x ≥ f · 2^(64−P) ⇔ hi ≥ f · 2^(32−P) (the low word cannot tip it, as f · 2^(32−P) is whole).
    const limit = frequency * POW2[32 - precision];
    if (this.hi >= limit) {
      this.words.push(this.lo);
      this.lo = this.hi;
      this.hi = 0;
    }
    // q = ⌊x / f⌋ and r = x mod f, by long division over the two words (each step exact below 2^53).
    const qHi = Math.floor(this.hi / frequency);
    const remainderHi = this.hi - qHi * frequency;
    const wide = remainderHi * TWO_32 + this.lo;
    const qLo = Math.floor(wide / frequency);
    const remainder = wide - qLo * frequency;
    // x' = q · 2^P + r + c, with q < 2^(64−P): the low word of q · 2^P + r + c and its carry.
    const low = qLo * total + remainder + start;
    const carry = Math.floor(low / TWO_32);
    this.lo = low - carry * TWO_32;
    this.hi = qHi * total + carry;
  }

  /** Pops the symbol on top, found through `lookup`. */
  pop(lookup: SymbolLookup): number {
    const precision = lookup.precision;
    checkPrecision(precision);
    const total = POW2[precision];
    const mask = total - 1;
    const slot = this.lo & mask;
    const symbol = lookup.symbolOf(slot);
    const { start, frequency } = lookup.interval(symbol);
    // A slot outside the symbol's interval (or an interval no push accepts) means the message was
    // coded with other frequencies, or the lookup's total is not 2^precision.
    if (!(slot >= start && slot < start + frequency && start + frequency <= mask + 1))
      throw new RansError(
        `the lookup gave symbol ${symbol}, whose interval [${start}, ${start + frequency}) does not hold slot ${slot} within [0, 2^${precision}): the message is corrupt or was coded with other frequencies`,
      );
    // x' = f · ⌊x / 2^P⌋ + slot − c, with ⌊x / 2^P⌋ as the words (aHi, aLo).
    const aHi = Math.floor(this.hi / total);
    const aLo = (this.hi - aHi * total) * POW2[32 - precision] + Math.floor(this.lo / total);
    const low = frequency * aLo + slot - start;
    const carry = Math.floor(low / TWO_32);
    this.lo = low - carry * TWO_32;
    this.hi = frequency * aHi + carry;
    if (this.hi === 0) {
      const word = this.words.length > 0 ? this.words.pop() : this.refill?.();
      if (word === undefined)
        throw new RansError('the message ran out of words: it is truncated, or was decoded with other frequencies than it was encoded with');
      this.hi = this.lo;
      this.lo = word >>> 0;
    }
    return symbol;
  }

  /** The message: its words, then the state's two words (high first). */
  toWords(): Uint32Array {
    return Uint32Array.from([...this.words, this.hi, this.lo]);
  }

  /** The message as little-endian bytes (four per word). */
  toBytes(): Uint8Array {
    const words = this.toWords();
    const bytes = new Uint8Array(4 * words.length);
    const view = new DataView(bytes.buffer);
    words.forEach((word, k) => view.setUint32(4 * k, word, true));
    return bytes;
  }

  /** A message read from {@link RansStack.toBytes}. */
  static fromBytes(bytes: Uint8Array): RansStack {
    if (bytes.length % 4 !== 0) throw new RansError(`a message is a whole number of 32-bit words, got ${bytes.length} bytes`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return new RansStack(Array.from({ length: bytes.length / 4 }, (_, k) => view.getUint32(4 * k, true)));
  }

  /** The length of the message in bits (its words and the two words of state). */
  get lengthInBits(): number {
    return 32 * (this.words.length + 2);
  }

  /** Whether the message is back to the empty one: every pushed symbol popped. */
  get isEmpty(): boolean {
    return this.words.length === 0 && this.hi === 1 && this.lo === 0;
  }

  /**
   * Throws a {@link RansError} unless the message is back to the empty one. Call it after the
   * last pop of a message that was pushed onto an empty stack: it catches a message with words
   * left (joined to another, or decoded with fewer symbols than were coded) and most corrupted
   * words, which no pop can see; not all of them (see {@link RansError}).
   */
  assertEmpty(): void {
    if (this.isEmpty) return;
    throw new RansError(
      this.words.length > 0
        ? `the message has ${this.words.length} words left after the last symbol: it is corrupt, or was decoded with other frequencies or fewer symbols than were coded`
        : 'the message does not end in its initial state after the last symbol: it is corrupt, or was decoded with other frequencies than it was coded with',
    );
  }
}
