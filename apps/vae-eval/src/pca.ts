/**
 * The two leading principal directions of row vectors (n × d, d small), by the cyclic Jacobi
 * eigenvalue method on the covariance matrix, in float64.
 */
export interface Projection {
  mean: Float64Array;
  axes: [Float64Array, Float64Array];
}

export function fitPca(values: ArrayLike<number>, n: number, d: number): Projection {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += values[i * d + j] / n;
  const c = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const va = values[i * d + a] - mean[a];
      for (let b = a; b < d; b++) c[a * d + b] += (va * (values[i * d + b] - mean[b])) / n;
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) c[a * d + b] = c[b * d + a];
  const vectors = new Float64Array(d * d);
  for (let a = 0; a < d; a++) vectors[a * d + a] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += c[p * d + q] ** 2;
    if (off < 1e-20) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        if (Math.abs(c[p * d + q]) < 1e-300) continue;
        const theta = (c[q * d + q] - c[p * d + p]) / (2 * c[p * d + q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cos = 1 / Math.sqrt(t * t + 1);
        const sin = t * cos;
        for (let k = 0; k < d; k++) {
          const ckp = c[k * d + p];
          const ckq = c[k * d + q];
          c[k * d + p] = cos * ckp - sin * ckq;
          c[k * d + q] = sin * ckp + cos * ckq;
        }
        for (let k = 0; k < d; k++) {
          const cpk = c[p * d + k];
          const cqk = c[q * d + k];
          c[p * d + k] = cos * cpk - sin * cqk;
          c[q * d + k] = sin * cpk + cos * cqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = vectors[k * d + p];
          const vkq = vectors[k * d + q];
          vectors[k * d + p] = cos * vkp - sin * vkq;
          vectors[k * d + q] = sin * vkp + cos * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => c[b * d + b] - c[a * d + a]);
  const axis = (k: number) => Float64Array.from({ length: d }, (_, row) => vectors[row * d + order[k]]);
  return { mean, axes: [axis(0), axis(Math.min(1, d - 1))] };
}

/** Projects rows onto the two axes: [x0, y0, x1, y1, ...]. */
export function project(values: ArrayLike<number>, n: number, d: number, pca: Projection): Float32Array {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 2; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (values[i * d + j] - pca.mean[j]) * pca.axes[k][j];
      out[2 * i + k] = s;
    }
  }
  return out;
}
