import type { Activation, MLP } from '@flows/networks';

/** One activation in float64, with the same constants as `@flows/networks`' tensor version. */
function activate(value: number, activation: Activation): number {
  switch (activation) {
    case 'relu':
      return Math.max(value, 0);
    case 'leakyRelu':
      return value > 0 ? value : 0.01 * value;
    case 'tanh':
      return Math.tanh(value);
    case 'elu':
      return value > 0 ? value : Math.expm1(value);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-value));
    case 'softplus':
      return value > 0 ? value + Math.log1p(Math.exp(-value)) : Math.log1p(Math.exp(value));
    case 'swish':
      return value / (1 + Math.exp(-value));
    case 'linear':
      return value;
    default:
      throw new RangeError(`unknown activation '${String(activation)}'`);
  }
}

/** An MLP's weights read out once, to evaluate it in plain float64 arithmetic. */
export interface ExactNetwork {
  sizes: number[];
  weights: Float32Array[];
  biases: Float32Array[];
  activation: Activation;
}

export function exactNetwork(network: MLP): ExactNetwork {
  return {
    sizes: [network.inputSize, ...network.hidden, network.outputSize],
    weights: network.weights.map((w) => w.dataSync() as Float32Array),
    biases: network.biases.map((b) => b.dataSync() as Float32Array),
    activation: network.activation,
  };
}

/**
 * The MLP `h_{l+1} = act(h_l W_l + b_l)` (no activation after the last layer) on `rows` inputs, in
 * float64 with a fixed order of additions (input index ascending). An entropy coder needs its
 * encoder and decoder to build the same probability tables from the same numbers: the backends'
 * float32 kernels differ in their order of additions (OpenBLAS, XNNPACK, WebGL), but IEEE-754
 * double additions and products in a fixed order give the same bits on every JavaScript engine, in
 * Node and in the browser (ReLU needs nothing more; the smooth activations also need the engines'
 * `Math.exp` and `Math.tanh` to agree, as V8's do in Node and Chromium). The cost is speed: about
 * 1 ns per multiply-add, fine for a prior's small network.
 */
export function evaluateExactly(network: ExactNetwork, input: ArrayLike<number>, rows: number, inputScale = 1): Float64Array {
  const { sizes, weights, biases, activation } = network;
  if (input.length !== rows * sizes[0]) throw new RangeError(`the network takes ${sizes[0]} inputs per row; got ${input.length / rows}`);
  let current = Float64Array.from(input, (v) => v / inputScale);
  for (let layer = 0; layer < weights.length; layer++) {
    const [fanIn, fanOut] = [sizes[layer], sizes[layer + 1]];
    const weight = weights[layer];
    const bias = biases[layer];
    const next = new Float64Array(rows * fanOut);
    const last = layer === weights.length - 1;
    for (let row = 0; row < rows; row++) {
      const out = next.subarray(row * fanOut, (row + 1) * fanOut);
      for (let j = 0; j < fanOut; j++) out[j] = bias[j];
      for (let i = 0; i < fanIn; i++) {
        const value = current[row * fanIn + i];
        if (value === 0) continue;
        const weightRow = i * fanOut;
        for (let j = 0; j < fanOut; j++) out[j] += value * weight[weightRow + j];
      }
      if (!last) for (let j = 0; j < fanOut; j++) out[j] = activate(out[j], activation);
    }
    current = next;
  }
  return current;
}
