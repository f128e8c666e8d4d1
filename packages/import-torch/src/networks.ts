import * as tf from '@tensorflow/tfjs-core';
import { ACTIVATIONS, type Activation, MADE, MLP, type VectorConditioner } from '@flows/networks';
import { Described, type TorchWeights } from './description.js';
import { ArchitectureError, UnsupportedArchitectureError } from './errors.js';
import { TorchNetwork, type TorchNetworkOptions } from './torch-network.js';

/** A PyTorch linear layer as read from the weights: `y = W x + b`, W `[outputs, inputs]` (masked weights already multiplied by their mask). */
export interface TorchLinear {
  inputs: number;
  outputs: number;
  weight: Float32Array;
  bias: Float32Array;
  mask: Uint8Array | null;
  degrees: number[] | null;
  where: string;
}

/** A plain stack: linear layers with one activation between them, and possibly one after the last. */
export interface StackNetwork {
  kind: 'stack';
  layers: TorchLinear[];
  activation: Activation;
  finalActivation: Activation | null;
  where: string;
}

/** nflows' and normflows' residual networks and MADEs, as a {@link TorchNetwork}. */
export interface TorchNetworkDescription {
  kind: 'torch';
  options: Pick<TorchNetworkOptions, 'blocks' | 'residual' | 'activation' | 'initialActivation' | 'contextEntry' | 'blockContext'>;
  library: string;
  initial: TorchLinear;
  context: TorchLinear | null;
  blocks: TorchLinear[][];
  final: TorchLinear;
  /** Input degrees of a MADE (null for unmasked networks). */
  inputDegrees: number[] | null;
  where: string;
}

export type NetworkDescription = StackNetwork | TorchNetworkDescription | { kind: 'identity'; where: string };

export function readLinear(node: Described, weights: TorchWeights, masked = false): TorchLinear {
  const inputs = node.integer('inputs', 1);
  const outputs = node.integer('outputs', 1);
  const weight = weights.tensor(node.tensorKey('weight', weights), [outputs, inputs], `${node.where}.weight`);
  const bias = weights.tensor(node.tensorKey('bias', weights), [outputs], `${node.where}.bias`);
  let mask: Uint8Array | null = null;
  if (node.has('mask')) {
    mask = weights.mask(node.tensorKey('mask', weights), [outputs, inputs], `${node.where}.mask`);
    for (let i = 0; i < weight.length; i++) if (mask[i] === 0) weight[i] = 0;
  } else if (masked) throw new ArchitectureError(node.where, 'a masked layer needs its mask');
  const degrees = node.has('degrees') ? Array.from(weights.tensor(node.tensorKey('degrees', weights), [outputs], `${node.where}.degrees`)) : null;
  return { inputs, outputs, weight, bias, mask, degrees, where: node.where };
}

function activationOf(node: Described, key = 'activation'): Activation {
  return node.string(key, ACTIVATIONS);
}

/** Reads a network description (`{ type: 'sequential' | 'nflows.MADE' | … }`) with its weights. */
export function readNetwork(node: Described, weights: TorchWeights): NetworkDescription {
  const type = node.string('type');
  if (type === 'identity') return { kind: 'identity', where: node.where };
  if (type === 'sequential') return readStack(node, weights);
  if (type === 'nflows.MADE' || type === 'normflows.MADE') return readMade(node, weights, type.split('.')[0]);
  if (type === 'nflows.ResidualNet' || type === 'normflows.ResidualNet') return readResidualNet(node, weights, type.split('.')[0]);
  throw new UnsupportedArchitectureError(
    type,
    'a network of this class has no counterpart in the flows project (sequential stacks, MADE and ResidualNet are read)',
  );
}

function readStack(node: Described, weights: TorchWeights): StackNetwork {
  const layers: TorchLinear[] = [];
  const between: Activation[] = [];
  let pending: Activation | null = null;
  for (const step of node.nodes('steps')) {
    if (step.has('linear')) {
      if (layers.length > 0) {
        if (pending === null)
          throw new UnsupportedArchitectureError('torch.nn.Sequential', `two linear layers without an activation between them (${step.where})`);
        between.push(pending);
      }
      layers.push(readLinear(step.node('linear'), weights));
      pending = null;
    } else {
      if (pending !== null) throw new UnsupportedArchitectureError('torch.nn.Sequential', `two activations in a row (${step.where})`);
      pending = activationOf(step);
      if (layers.length === 0) throw new UnsupportedArchitectureError('torch.nn.Sequential', `an activation before the first linear layer (${step.where})`);
    }
  }
  if (layers.length === 0) throw new ArchitectureError(node.where, 'a network without linear layers');
  for (let i = 1; i < layers.length; i++) {
    if (layers[i].inputs !== layers[i - 1].outputs)
      throw new ArchitectureError(layers[i].where, `takes ${layers[i].inputs} inputs but the layer before gives ${layers[i - 1].outputs}`);
  }
  if (new Set(between).size > 1)
    throw new UnsupportedArchitectureError(
      'torch.nn.Sequential',
      `different activations between layers (${between.join(', ')}); the flows project's networks use one`,
    );
  return { kind: 'stack', layers, activation: between[0] ?? 'relu', finalActivation: pending, where: node.where };
}

function readMade(node: Described, weights: TorchWeights, library: string): TorchNetworkDescription {
  const residual = node.boolean('residual');
  const activation = activationOf(node);
  const initial = readLinear(node.node('initial'), weights, true);
  const inputDegrees = node.integers('inputDegrees', 1, initial.inputs, initial.inputs);
  const context = node.has('context') ? readLinear(node.node('context'), weights) : null;
  const blocks = node.nodes('blocks').map((block) => {
    if (activationOf(block) !== activation) throw new UnsupportedArchitectureError(`${library}.MADE`, 'blocks with different activations');
    if (residual) {
      const layers = [readLinear(block.node('linear0'), weights, true), readLinear(block.node('linear1'), weights, true)];
      if (block.has('context')) layers.push(readLinear(block.node('context'), weights));
      return layers;
    }
    return [readLinear(block.node('linear'), weights, true)];
  });
  const final = readLinear(node.node('final'), weights, true);
  const contextual = context !== null;
  const options: TorchNetworkDescription['options'] = {
    blocks: blocks.length,
    residual,
    activation,
    // nflows applies the activation after the initial layer of a feed-forward MADE and to the
    // context's term; normflows does neither (and gates residual blocks with the context).
    initialActivation: library === 'nflows',
    contextEntry: library === 'nflows' && contextual ? 'activated' : 'linear',
    blockContext: residual && contextual ? (library === 'nflows' ? 'add' : 'gate') : 'none',
  };
  if (residual && contextual && blocks.some((b) => b.length !== 3))
    throw new ArchitectureError(node.where, 'a conditional residual MADE needs a context layer in every block');
  return { kind: 'torch', options, library, initial, context, blocks, final, inputDegrees, where: node.where };
}

function readResidualNet(node: Described, weights: TorchWeights, library: string): TorchNetworkDescription {
  const contextSize = node.integer('context', 0);
  const initial = readLinear(node.node('initial'), weights);
  const described = node.nodes('blocks');
  const activation = described.length ? activationOf(described[0]) : 'relu';
  const blocks = described.map((block) => {
    if (activationOf(block) !== activation) throw new UnsupportedArchitectureError(`${library}.ResidualNet`, 'blocks with different activations');
    const layers = [readLinear(block.node('linear0'), weights), readLinear(block.node('linear1'), weights)];
    if (block.has('context')) layers.push(readLinear(block.node('context'), weights));
    return layers;
  });
  if (contextSize > 0 && blocks.some((b) => b.length !== 3))
    throw new ArchitectureError(node.where, 'a conditional ResidualNet needs a context layer in every block');
  // The initial layer reads [x, c] concatenated: its last columns are the context's.
  const main = initial.inputs - contextSize;
  if (main < 1) throw new ArchitectureError(node.where, `the initial layer takes ${initial.inputs} inputs, not more than the context's ${contextSize}`);
  const [mainPart, contextPart] = splitColumns(initial, main);
  const options: TorchNetworkDescription['options'] = {
    blocks: blocks.length,
    residual: true,
    activation,
    initialActivation: false,
    contextEntry: 'linear',
    blockContext: contextSize > 0 ? 'gate' : 'none',
  };
  return {
    kind: 'torch',
    options,
    library,
    initial: mainPart,
    context: contextPart,
    blocks,
    final: readLinear(node.node('final'), weights),
    inputDegrees: null,
    where: node.where,
  };
}

/** A layer over `[x, c]` as two: one over x with the bias, one over c with a zero bias. */
function splitColumns(layer: TorchLinear, main: number): [TorchLinear, TorchLinear | null] {
  const rest = layer.inputs - main;
  if (rest === 0) return [layer, null];
  const a = new Float32Array(layer.outputs * main);
  const b = new Float32Array(layer.outputs * rest);
  for (let o = 0; o < layer.outputs; o++) {
    for (let i = 0; i < main; i++) a[o * main + i] = layer.weight[o * layer.inputs + i];
    for (let i = 0; i < rest; i++) b[o * rest + i] = layer.weight[o * layer.inputs + main + i];
  }
  return [
    { ...layer, inputs: main, weight: a },
    { ...layer, inputs: rest, weight: b, bias: new Float32Array(layer.outputs), mask: null, degrees: null },
  ];
}

// ---- into the flows project's networks -----------------------------------------------------------

/** Where a project output comes from: torch output row `source` (−1: a constant 0) times `factor`. */
export interface OutputMap {
  source: Int32Array;
  factor: Float64Array;
}

/**
 * How the torch network's main inputs land in the project conditioner's input: `inputs[j]` is the
 * project input fed by torch input j (couplings see the whole masked event, the torch network the
 * kept coordinates only); `size` is the project's main input width. The context follows both.
 */
export interface InputMap {
  inputs: Int32Array;
  size: number;
}

export function identityOutputs(n: number): OutputMap {
  return { source: Int32Array.from({ length: n }, (_, i) => i), factor: new Float64Array(n).fill(1) };
}

export function identityInputs(n: number): InputMap {
  return { inputs: Int32Array.from({ length: n }, (_, i) => i), size: n };
}

/** The project's `[in, out]` weight of a torch layer, its rows and columns moved as the maps say. */
function denseWeight(layer: TorchLinear, rows: Int32Array, rowCount: number, outputs: OutputMap | null): Float32Array {
  const columns = outputs ? outputs.source.length : layer.outputs;
  const out = new Float32Array(rowCount * columns);
  for (let c = 0; c < columns; c++) {
    const source = outputs ? outputs.source[c] : c;
    if (source < 0) continue;
    const factor = outputs ? outputs.factor[c] : 1;
    for (let j = 0; j < layer.inputs; j++) out[rows[j] * columns + c] = layer.weight[source * layer.inputs + j] * factor;
  }
  return out;
}

function denseBias(layer: TorchLinear, outputs: OutputMap | null): Float32Array {
  if (!outputs) return Float32Array.from(layer.bias);
  return Float32Array.from(outputs.source, (source, c) => (source < 0 ? 0 : layer.bias[source] * outputs.factor[c]));
}

function assign(variable: tf.Variable, values: Float32Array): void {
  if (variable.size !== values.length) throw new Error(`internal: assigning ${values.length} values to a variable of ${variable.size}`);
  // tidy: the new value's tensor goes once the variable holds its data.
  tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
}

/** Rows of a layer whose inputs are `[main (mapped), context]`. */
function inputRows(torchMain: number, context: number, map: InputMap): { rows: Int32Array; count: number } {
  if (map.inputs.length !== torchMain) throw new Error(`internal: an input map of ${map.inputs.length} for ${torchMain} inputs`);
  const rows = new Int32Array(torchMain + context);
  rows.set(map.inputs);
  for (let k = 0; k < context; k++) rows[torchMain + k] = map.size + k;
  return { rows, count: map.size + context };
}

const identityRows = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/**
 * A project MLP with a stack's weights, inputs and outputs moved by the maps. The stack's last
 * activation, if any, is the caller's to place (a scale network's tanh, say); here it is refused.
 */
export function stackToMLP(stack: StackNetwork, context: number, inputs: InputMap, outputs: OutputMap, owner: string): MLP {
  if (stack.finalActivation !== null)
    throw new UnsupportedArchitectureError(
      owner,
      `its network ends in a ${stack.finalActivation} activation, which the flows project's conditioners do not have here`,
    );
  const first = stack.layers[0];
  const torchMain = first.inputs - context;
  if (torchMain !== inputs.inputs.length)
    throw new ArchitectureError(stack.where, `the network takes ${first.inputs} inputs; expected ${inputs.inputs.length} and a context of ${context}`);
  const last = stack.layers[stack.layers.length - 1];
  checkOutputs(last, outputs, stack.where);
  const hidden = stack.layers.slice(0, -1).map((l) => l.outputs);
  const { rows, count } = inputRows(torchMain, context, inputs);
  const mlp = new MLP({ inputSize: count, outputSize: outputs.source.length, hidden, activation: stack.activation, seed: 0 });
  stack.layers.forEach((layer, i) => {
    const isFirst = i === 0;
    const isLast = i === stack.layers.length - 1;
    assign(mlp.weights[i], denseWeight(layer, isFirst ? rows : identityRows(layer.inputs), isFirst ? count : layer.inputs, isLast ? outputs : null));
    assign(mlp.biases[i], denseBias(layer, isLast ? outputs : null));
  });
  return mlp;
}

function checkOutputs(last: TorchLinear, outputs: OutputMap, where: string): void {
  for (const s of outputs.source)
    if (s >= last.outputs) throw new ArchitectureError(where, `the network gives ${last.outputs} outputs, fewer than the layer needs`);
}

/**
 * A project MADE with a masked stack's weights (zuko's MaskedMLP), its hidden degrees read off the
 * masks and checked to reproduce every mask exactly; output rows moved by the map.
 */
export function stackToMADE(stack: StackNetwork, inputDegrees: number[], context: number, outputsPerInput: number, outputs: OutputMap, owner: string): MADE {
  if (stack.finalActivation !== null) throw new UnsupportedArchitectureError(owner, `its network ends in a ${stack.finalActivation} activation`);
  const d = inputDegrees.length;
  const first = stack.layers[0];
  if (first.inputs !== d + context)
    throw new ArchitectureError(stack.where, `the network takes ${first.inputs} inputs; expected ${d} features and a context of ${context}`);
  const hiddenDegrees = deriveHiddenDegrees(stack.layers, [...inputDegrees, ...new Array<number>(context).fill(0)], owner);
  const outputDegrees = Array.from({ length: d * outputsPerInput }, (_, o) => inputDegrees[Math.floor(o / outputsPerInput)]);
  checkMasks(stack.layers, [...inputDegrees, ...new Array<number>(context).fill(0)], hiddenDegrees, outputDegrees, outputs, owner);
  const made = new MADE({
    inputSize: d,
    outputsPerInput,
    hidden: stack.layers.slice(0, -1).map((l) => l.outputs),
    activation: stack.activation,
    inputDegrees,
    hiddenDegrees,
    contextSize: context,
    seed: 0,
  });
  stack.layers.forEach((layer, i) => {
    const isLast = i === stack.layers.length - 1;
    assign(made.weights[i], denseWeight(layer, identityRows(layer.inputs), layer.inputs, isLast ? outputs : null));
    assign(made.biases[i], denseBias(layer, isLast ? outputs : null));
  });
  return made;
}

/** Each hidden unit's degree: the largest degree among the units it reads (0: the context only). */
function deriveHiddenDegrees(layers: TorchLinear[], inputDegrees: number[], owner: string): number[][] {
  let previous = Int32Array.from(inputDegrees);
  const hidden: number[][] = [];
  for (const layer of layers.slice(0, -1)) {
    const mask = layer.mask;
    if (!mask) throw new UnsupportedArchitectureError(owner, `layer ${layer.where} has no mask in a masked network`);
    const degrees = new Int32Array(layer.outputs);
    for (let o = 0; o < layer.outputs; o++) {
      let degree = 0;
      const row = o * layer.inputs;
      for (let i = 0; i < layer.inputs; i++) if (mask[row + i] !== 0 && previous[i] > degree) degree = previous[i];
      degrees[o] = degree;
    }
    hidden.push(Array.from(degrees));
    previous = degrees;
  }
  return hidden;
}

/** Refuses masks that the MADE rule with these degrees does not reproduce exactly (a custom adjacency). */
function checkMasks(layers: TorchLinear[], inputDegrees: number[], hidden: number[][], outputDegrees: number[], outputs: OutputMap, owner: string): void {
  // The output layer's rows are compared where the project reads them (the map may reorder within a block).
  const rowDegree = new Int32Array(layers[layers.length - 1].outputs).fill(-1);
  outputs.source.forEach((source, c) => {
    if (source >= 0) rowDegree[source] = outputDegrees[c];
  });
  let previous = Int32Array.from(inputDegrees);
  layers.forEach((layer, l) => {
    const isLast = l === layers.length - 1;
    const degrees = isLast ? rowDegree : Int32Array.from(hidden[l]);
    const mask = layer.mask;
    if (!mask) throw new UnsupportedArchitectureError(owner, `layer ${layer.where} has no mask in a masked network`);
    // Hidden units connect to inputs of degree at most theirs; outputs to those strictly below.
    const strict = isLast ? 1 : 0;
    for (let o = 0; o < layer.outputs; o++) {
      const degree = degrees[o];
      if (degree < 0) continue;
      const row = o * layer.inputs;
      for (let i = 0; i < layer.inputs; i++) {
        if ((degree - strict >= previous[i] ? 1 : 0) !== mask[row + i]) {
          throw new UnsupportedArchitectureError(
            owner,
            `its masks are not those of degrees (${layer.where}, unit ${o}, input ${i}): a custom adjacency or connectivity the flows project's MADE does not express`,
          );
        }
      }
    }
    if (!isLast) previous = degrees;
  });
}

/** A {@link TorchNetwork} with a described network's weights, inputs and outputs moved by the maps. */
export function toTorchNetwork(
  net: TorchNetworkDescription,
  context: number,
  inputs: InputMap,
  outputs: OutputMap,
  outputsPerInput: number | null,
  owner: string,
): TorchNetwork {
  const hidden = net.initial.outputs;
  const layersInOrder = [net.initial, ...net.blocks.flatMap((b) => b.slice(0, net.options.residual ? 2 : 1))];
  for (const layer of layersInOrder) {
    if (layer.outputs !== hidden || (layer !== net.initial && layer.inputs !== hidden))
      throw new UnsupportedArchitectureError(owner, `hidden layers of different widths (${layer.where})`);
  }
  if (net.final.inputs !== hidden) throw new ArchitectureError(net.final.where, `takes ${net.final.inputs} inputs, not the hidden width ${hidden}`);
  const contextWidth = net.context?.inputs ?? 0;
  if (contextWidth !== context) throw new ArchitectureError(net.where, `its context layer takes ${contextWidth} values; the flow's context has ${context}`);
  if (net.initial.inputs !== inputs.inputs.length)
    throw new ArchitectureError(net.where, `takes ${net.initial.inputs} inputs; expected ${inputs.inputs.length}`);
  checkOutputs(net.final, outputs, net.where);
  let degrees: TorchNetworkOptions['degrees'];
  if (net.inputDegrees) {
    if (outputsPerInput === null) throw new Error('internal: a MADE needs outputs per input');
    const hiddenDegrees = layersInOrder.map((l) => {
      if (!l.degrees) throw new ArchitectureError(l.where, 'a MADE layer without its degrees');
      return l.degrees;
    });
    const outputDegrees = Array.from({ length: outputs.source.length }, (_, o) => net.inputDegrees![Math.floor(o / outputsPerInput)]);
    checkMasks([...layersInOrder, net.final], net.inputDegrees, hiddenDegrees, outputDegrees, outputs, owner);
    degrees = { inputs: net.inputDegrees, hidden: hiddenDegrees, outputsPerInput };
  }
  const network = new TorchNetwork({
    inputSize: inputs.size,
    contextSize: context,
    outputSize: outputs.source.length,
    hidden,
    ...net.options,
    ...(degrees ? { degrees } : {}),
  });
  assign(network.initial.weight, denseWeight(net.initial, inputs.inputs, inputs.size, null));
  assign(network.initial.bias, denseBias(net.initial, null));
  if (network.context && net.context) {
    assign(network.context.weight, denseWeight(net.context, identityRows(context), context, null));
    assign(network.context.bias, denseBias(net.context, null));
  }
  net.blocks.forEach((block, b) => {
    const own = network.blockLayers[b];
    block.forEach((layer, k) => {
      if (!own[k]) return;
      assign(own[k].weight, denseWeight(layer, identityRows(layer.inputs), layer.inputs, null));
      assign(own[k].bias, denseBias(layer, null));
    });
  });
  assign(network.final.weight, denseWeight(net.final, identityRows(hidden), hidden, outputs));
  assign(network.final.bias, denseBias(net.final, outputs));
  return network;
}

/** Whether a described network is a project MLP/MADE-shaped stack: nflows' feed-forward MADE without a context is. */
export function asStack(net: NetworkDescription): StackNetwork | null {
  if (net.kind === 'stack') return net;
  if (net.kind !== 'torch' || net.options.residual || !net.options.initialActivation || net.context !== null) return null;
  return {
    kind: 'stack',
    layers: [net.initial, ...net.blocks.map((b) => b[0]), net.final],
    activation: net.options.activation ?? 'relu',
    finalActivation: null,
    where: net.where,
  };
}

/** The described network, as the conditioner that fits it best (the project's own where it can). */
export function toConditioner(net: NetworkDescription, context: number, inputs: InputMap, outputs: OutputMap, owner: string): VectorConditioner {
  if (net.kind === 'identity') throw new UnsupportedArchitectureError(owner, 'an identity network here');
  const stack = asStack(net);
  if (stack && !stack.layers.some((l) => l.mask)) return stackToMLP(stack, context, inputs, outputs, owner);
  if (net.kind === 'torch' && !net.inputDegrees) return toTorchNetwork(net, context, inputs, outputs, null, owner);
  throw new UnsupportedArchitectureError(owner, 'a masked network where an unmasked one is expected');
}

/** A MADE-like conditioner of an autoregressive layer: the project's MADE where it can, else a masked TorchNetwork. */
export function toAutoregressiveNetwork(
  net: NetworkDescription,
  features: number,
  context: number,
  outputsPerInput: number,
  outputs: OutputMap,
  owner: string,
  inputDegrees: number[] | null,
): MADE | TorchNetwork {
  if (net.kind === 'identity') throw new UnsupportedArchitectureError(owner, 'an identity network here');
  const stack = asStack(net);
  const degrees = inputDegrees ?? (net.kind === 'torch' ? net.inputDegrees : null);
  if (!degrees) throw new UnsupportedArchitectureError(owner, 'an autoregressive layer without MADE degrees');
  if (stack) {
    if (stack.layers.some((l) => !l.mask)) throw new UnsupportedArchitectureError(owner, 'an unmasked network in an autoregressive layer');
    // nflows' hidden degrees are stored; zuko's are read off its masks. Either way they must reproduce the masks.
    return stackToMADE(stack, degrees, context, outputsPerInput, outputs, owner);
  }
  if (net.kind !== 'torch') throw new Error('internal: unreachable');
  if (net.initial.inputs !== features) throw new ArchitectureError(net.where, `takes ${net.initial.inputs} inputs, not the ${features} features`);
  return toTorchNetwork({ ...net, inputDegrees: degrees }, context, identityInputs(features), outputs, outputsPerInput, owner);
}

export { Described };
