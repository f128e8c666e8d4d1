/**
 * Thrown for a flow the importer cannot reproduce exactly: it names the library's class and what
 * the flows project lacks for it. Nothing is ever imported approximately.
 */
export class UnsupportedArchitectureError extends Error {
  constructor(
    /** The library's class, as the description names it (`nflows.AffineCouplingTransform`). */
    readonly className: string,
    /** What is missing, in words. */
    readonly missing: string,
  ) {
    super(`${className}: ${missing}`);
    this.name = 'UnsupportedArchitectureError';
  }
}

/**
 * Thrown for an architecture description that is malformed or disagrees with the weights file
 * (a missing entry, a wrong shape, a value of the wrong type), naming where.
 */
export class ArchitectureError extends Error {
  constructor(
    readonly where: string,
    problem: string,
  ) {
    super(`${where}: ${problem}`);
    this.name = 'ArchitectureError';
  }
}
