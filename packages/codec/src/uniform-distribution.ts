import { MAX_PRECISION, type SymbolInterval, type SymbolLookup } from './rans.js';

/**
 * The uniform distribution over 0…n−1 without a table: with 2^P units, each symbol gets
 * ⌊2^P / n⌋ units and the first 2^P mod n symbols one more, so a push costs log₂(n) bits to within
 * 1/⌊2^P / n⌋ of a bit in the worst case (none when n is a power of two). Used for the rare tails of
 * a windowed latent and for uniform priors, where a table of up to 2^16 entries per symbol would
 * cost more than the coding.
 */
export class UniformDistribution implements SymbolLookup {
  private readonly unit: number;
  private readonly wider: number;

  constructor(
    readonly size: number,
    readonly precision = MAX_PRECISION,
  ) {
    if (!(Number.isInteger(precision) && precision >= 1 && precision <= MAX_PRECISION))
      throw new RangeError(`precision must be a whole number of bits from 1 to ${MAX_PRECISION}, got ${precision}`);
    if (!(Number.isInteger(size) && size >= 1 && size <= 2 ** precision))
      throw new RangeError(`a uniform distribution over ${size} symbols does not fit in 2^${precision} units`);
    this.unit = Math.floor(2 ** precision / size);
    this.wider = 2 ** precision - this.unit * size;
  }

  interval(symbol: number): SymbolInterval {
    if (!(Number.isInteger(symbol) && symbol >= 0 && symbol < this.size)) throw new RangeError(`symbol ${symbol} is outside 0…${this.size - 1}`);
    // Symbols below `wider` have unit + 1 units, the rest unit.
    if (symbol < this.wider) return { start: symbol * (this.unit + 1), frequency: this.unit + 1 };
    return { start: this.wider * (this.unit + 1) + (symbol - this.wider) * this.unit, frequency: this.unit };
  }

  symbolOf(slot: number): number {
    const widerEnd = this.wider * (this.unit + 1);
    if (slot < widerEnd) return Math.floor(slot / (this.unit + 1));
    return this.wider + Math.floor((slot - widerEnd) / this.unit);
  }

  /** −log₂ of a symbol's quantised probability. */
  bits(symbol: number): number {
    return this.precision - Math.log2(this.interval(symbol).frequency);
  }
}
