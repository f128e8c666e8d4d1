/** Thrown when a bijector is asked for an inverse it does not have in closed form. */
export class MissingInverseError extends Error {
  constructor(className: string, detail = '') {
    super(`${className} has no inverse${detail ? `: ${detail}` : ''}`);
    this.name = 'MissingInverseError';
  }
}

/** Thrown for input of the wrong rank, width, or with NaN or infinite entries. */
export class BijectorInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BijectorInputError';
  }
}

/** Thrown when a serialized configuration cannot be turned back into an object. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
