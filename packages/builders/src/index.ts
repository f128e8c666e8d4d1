export { realNVP, nice, maf, type RealNVPOptions, type CouplingFlowOptions, type MAFOptions } from './flow-builders.js';
export { multiScaleFlow, type MultiScaleOptions } from './multi-scale-flow.js';
export { integerDiscreteFlow, type IntegerFlowOptions } from './integer-discrete-flow.js';
export { layerMask, MASK_STRATEGIES, type MaskStrategy } from './layer-masks.js';
