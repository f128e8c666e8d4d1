import * as tf from '@tensorflow/tfjs-core';

/**
 * The bin of each value as one-hot rows, a constant for autodiff: comparisons have no gradient in
 * TensorFlow.js (the tape fails on them), and their derivative is 0 wherever it exists.
 *
 * The bin is the count of interior knots at or below the value, `x ≥ t ⇔ t − x ≤ 0` (exact in IEEE
 * arithmetic with gradual underflow): the subtraction broadcasts at full speed on every backend,
 * while wasm's comparisons broadcast element by element (about ten times slower, bench/results.md).
 * `shift` moves the one-hot right (the bin's right knot) and `width` is the rows' length, so a pick
 * from K + 1 knots needs no slice of them.
 */
function binIndicator(shift: 0 | 1, width: number) {
  return tf.customGrad((...args: unknown[]) => {
    const [value, interior] = args as [tf.Tensor2D, tf.Tensor3D];
    const below = tf.lessEqual(tf.sub(interior, tf.expandDims(value, 2)), 0);
    const index = tf.sum(tf.cast(below, 'int32'), 2);
    return {
      value: tf.cast(tf.oneHot(shift ? tf.add(index, tf.scalar(shift, 'int32')) : index, width), 'float32'),
      gradFunc: () => [tf.zerosLike(value), tf.zerosLike(interior)],
    };
  }) as unknown as (value: tf.Tensor2D, interior: tf.Tensor3D) => tf.Tensor3D;
}

/** A spline's knots along one axis: K + 1 positions and the K bin sizes, per element `[N, D, ·]`. */
export interface SplineKnots {
  positions: tf.Tensor3D;
  sizes: tf.Tensor3D;
}

/** The parameters of the bin each element lies in (Durkan et al. 2019, section 3.1). */
export interface SplineBin {
  xLeft: tf.Tensor2D;
  width: tf.Tensor2D;
  yLeft: tf.Tensor2D;
  height: tf.Tensor2D;
  /** s = height / width. */
  slope: tf.Tensor;
  deltaLeft: tf.Tensor2D;
  deltaRight: tf.Tensor2D;
}

/**
 * The bin of each value among `searched` (the x or the y knots, K + 1 positions; the value must lie
 * between the ends), and that bin's knots and derivatives (`derivatives` holds K + 1 per element).
 * The pick is a one-hot product and sum, so the parameters keep their gradient.
 */
export function splineBin(value: tf.Tensor2D, searched: tf.Tensor3D, xs: SplineKnots, ys: SplineKnots, derivatives: tf.Tensor3D): SplineBin {
  const [n, d, edges] = searched.shape;
  const k = edges - 1;
  // Rows of K for the bin sizes, rows of K + 1 for the knots (left, and right for the derivative).
  const interior = k === 1 ? null : tf.slice(searched, [0, 0, 1], [n, d, k - 1]);
  const oneHot = (shift: 0 | 1, width: number) =>
    interior ? binIndicator(shift, width)(value, interior) : (tf.oneHot(tf.fill([n, d], shift, 'int32'), width) as tf.Tensor3D);
  const inBin = oneHot(0, k);
  const atLeft = oneHot(0, k + 1);
  const pick = (rows: tf.Tensor3D, values: tf.Tensor3D) => tf.sum(tf.mul(rows, values), 2) as tf.Tensor2D;
  const width = pick(inBin, xs.sizes);
  const height = pick(inBin, ys.sizes);
  return {
    xLeft: pick(atLeft, xs.positions),
    width,
    yLeft: pick(atLeft, ys.positions),
    height,
    slope: tf.div(height, width),
    deltaLeft: pick(atLeft, derivatives),
    deltaRight: pick(oneHot(1, k + 1), derivatives),
  };
}

/**
 * `log g′(x)` inside a bin at ξ = (x − x_k)/w_k:
 * `log[s² (δ_{k+1} ξ² + 2 s ξ(1−ξ) + δ_k (1−ξ)²)] − 2 log[s + (δ_{k+1} + δ_k − 2s) ξ(1−ξ)]`.
 */
export function splineLogDerivative(xi: tf.Tensor, p: Pick<SplineBin, 'slope' | 'deltaLeft' | 'deltaRight'>): tf.Tensor2D {
  const oneMinus = tf.sub(1, xi);
  const cross = tf.mul(xi, oneMinus);
  const beta = tf.sub(tf.add(p.deltaRight, p.deltaLeft), tf.mul(2, p.slope));
  const denominator = tf.add(p.slope, tf.mul(beta, cross));
  const numerator = tf.mul(
    tf.square(p.slope),
    tf.add(tf.add(tf.mul(p.deltaRight, tf.square(xi)), tf.mul(tf.mul(2, p.slope), cross)), tf.mul(p.deltaLeft, tf.square(oneMinus))),
  );
  return tf.sub(tf.log(numerator), tf.mul(2, tf.log(denominator))) as tf.Tensor2D;
}

/**
 * The spline inside its bin, forward: `y = y_k + h_k (s ξ² + δ_k ξ(1−ξ)) / (s + (δ_{k+1} + δ_k − 2s) ξ(1−ξ))`
 * at ξ = (x − x_k)/w_k (clipped to [0, 1]), with `log g′(x)`.
 */
export function splineForwardInBin(x: tf.Tensor2D, p: SplineBin): [tf.Tensor2D, tf.Tensor2D] {
  const xi = tf.clipByValue(tf.div(tf.sub(x, p.xLeft), p.width), 0, 1);
  const cross = tf.mul(xi, tf.sub(1, xi));
  const beta = tf.sub(tf.add(p.deltaRight, p.deltaLeft), tf.mul(2, p.slope));
  const numerator = tf.mul(p.height, tf.add(tf.mul(p.slope, tf.square(xi)), tf.mul(p.deltaLeft, cross)));
  const y = tf.add(p.yLeft, tf.div(numerator, tf.add(p.slope, tf.mul(beta, cross)))) as tf.Tensor2D;
  return [y, splineLogDerivative(xi, p)];
}

/**
 * The spline inside its bin, inverse: ξ is the root in [0, 1] of `a ξ² + b ξ + c = 0` with
 * `a = h_k(s − δ_k) + (y − y_k)β`, `b = h_k δ_k − (y − y_k)β`, `c = −s(y − y_k)`, taken as
 * `2c / (−b − √(b² − 4ac))` (no cancellation); `x = x_k + ξ w_k`, with `log g′(x)` (the caller negates it).
 */
export function splineInverseInBin(y: tf.Tensor2D, p: SplineBin): [tf.Tensor2D, tf.Tensor2D] {
  const offset = tf.sub(y, p.yLeft);
  const beta = tf.sub(tf.add(p.deltaRight, p.deltaLeft), tf.mul(2, p.slope));
  const a = tf.add(tf.mul(p.height, tf.sub(p.slope, p.deltaLeft)), tf.mul(offset, beta));
  const b = tf.sub(tf.mul(p.height, p.deltaLeft), tf.mul(offset, beta));
  const c = tf.neg(tf.mul(p.slope, offset));
  const discriminant = tf.relu(tf.sub(tf.square(b), tf.mul(4, tf.mul(a, c))));
  const xi = tf.clipByValue(tf.div(tf.mul(2, c), tf.sub(tf.neg(b), tf.sqrt(discriminant))), 0, 1);
  return [tf.add(p.xLeft, tf.mul(xi, p.width)) as tf.Tensor2D, splineLogDerivative(xi, p)];
}
