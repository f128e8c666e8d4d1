/**
 * Clenshaw-Curtis quadrature on [−1, 1] with `panels` + 1 nodes (`panels` even):
 * `∫_{−1}^{1} f(ξ) dξ ≈ Σ_k w_k f(ξ_k)`, `ξ_k = cos(kπ / n)`, k = 0…n.
 *
 * Why this rule for UMNN (Wehenkel and Louppe 2019 use it too): the weights are all positive, the
 * nodes include both ends (ξ_0 = 1 is the upper limit itself, where UMNN needs the integrand for
 * its log-derivative anyway), and it integrates polynomials of degree n exactly, converging
 * spectrally for smooth integrands. The weights follow Trefethen's `clencurt` ("Spectral Methods
 * in MATLAB", 2000): `w_0 = w_n = 1/(n² − 1)` and, for 0 < k < n,
 * `w_k = (2/n) [1 − Σ_{j=1}^{n/2−1} 2 cos(2jθ_k)/(4j² − 1) − cos(nθ_k)/(n² − 1)]`, θ_k = kπ/n.
 */
export function clenshawCurtis(panels: number): { nodes: Float64Array; weights: Float64Array } {
  if (!Number.isInteger(panels) || panels < 2 || panels % 2 !== 0) {
    throw new RangeError(`clenshawCurtis: panels must be an even integer of at least 2, got ${panels}`);
  }
  const n = panels;
  const nodes = new Float64Array(n + 1);
  const weights = new Float64Array(n + 1);
  for (let k = 0; k <= n; k++) {
    const theta = (k * Math.PI) / n;
    nodes[k] = Math.cos(theta);
    if (k === 0 || k === n) {
      weights[k] = 1 / (n * n - 1);
      continue;
    }
    let v = 1;
    for (let j = 1; j < n / 2; j++) v -= (2 * Math.cos(2 * j * theta)) / (4 * j * j - 1);
    v -= Math.cos(n * theta) / (n * n - 1);
    weights[k] = (2 * v) / n;
  }
  // cos(kπ/n) leaves 6e-17 where the middle node is exactly 0.
  nodes[n / 2] = 0;
  return { nodes, weights };
}
