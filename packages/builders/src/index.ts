export { couplingFlow, type CouplingFlowOptions } from './coupling-flow.js';
export { autoregressiveFlow, type AutoregressiveFlowOptions } from './autoregressive-flow.js';
export { type TransformerChoice, TRANSFORMER_NAMES } from './transformer-choice.js';
export type { FlowBaseOptions, EmbeddingOption } from './flow-base.js';
export { realNVP, nice, maf, splineFlow, type RealNVPOptions, type NICEOptions, type MAFOptions, type SplineFlowOptions } from './presets.js';
export { multiScaleFlow, type MultiScaleOptions } from './multi-scale-flow.js';
export { integerDiscreteFlow, type IntegerFlowOptions } from './integer-discrete-flow.js';
export { layerMask, MASK_STRATEGIES, type MaskStrategy } from './layer-masks.js';
export { toyFlow, toyScheduleOptions, TOY_FLOWS, type ToyFlowKind, type ToyFlowOptions, type Standardization } from './toy-flow.js';
