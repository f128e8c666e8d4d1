// Stands in for tfjs-core's registration modules under vitest (see vitest.config.ts).
export {};
