import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '@flows/core';
import { ToyDistribution } from './toy.js';

/**
 * A chequerboard on the unit square: an n × n grid of squares of side 1/n, square (i, j)
 * covering `[i/n, (i+1)/n] × [j/n, (j+1)/n]`; the squares with `i + j` even carry equal mass,
 * uniform inside. The density is `n² / m` on the support (m = number of even squares) and 0
 * elsewhere (log-density −∞; the boundary is inclusive). Entropy `−log(n²/m)`.
 *
 * n = 3 is the Chequerboard toy (five squares, density 9/5, entropy −0.5878 nats).
 */
export class Chequerboard extends ToyDistribution {
  static override readonly className: string = 'Chequerboard';
  readonly eventShape = [2];
  readonly hasExactDensity = true;
  readonly plotRange: [[number, number], [number, number]] = [
    [0, 1],
    [0, 1],
  ];
  readonly name: string;
  readonly description: string;
  readonly squares: [number, number][];
  readonly densityOnSupport: number;

  constructor(readonly gridSize = 3) {
    super();
    if (!Number.isInteger(gridSize) || gridSize < 2) throw new RangeError(`Chequerboard: gridSize must be an integer >= 2, got ${gridSize}`);
    this.squares = [];
    for (let i = 0; i < gridSize; i++) for (let j = 0; j < gridSize; j++) if ((i + j) % 2 === 0) this.squares.push([i, j]);
    this.densityOnSupport = (gridSize * gridSize) / this.squares.length;
    this.name = gridSize === 3 ? 'chequerboard' : `chequerboard-${gridSize}x${gridSize}`;
    this.description = `${gridSize} x ${gridSize} chequerboard on [0,1]^2, ${this.squares.length} squares of equal mass, density ${this.densityOnSupport.toFixed(4)} on the support`;
  }

  override entropy(): number {
    return -Math.log(this.densityOnSupport);
  }

  protected logProbImpl(x: tf.Tensor): tf.Tensor1D {
    const n = this.gridSize;
    const [px, py] = tf.split(tf.mul(x, n), 2, 1).map((t) => tf.reshape(t, [-1]));
    const insideBox = tf.logicalAnd(tf.logicalAnd(tf.greaterEqual(px, 0), tf.lessEqual(px, n)), tf.logicalAnd(tf.greaterEqual(py, 0), tf.lessEqual(py, n)));
    // Cell parity from the floor, and, on grid lines, from the neighbouring cell too (inclusive boundary).
    const parityAt = (a: tf.Tensor, b: tf.Tensor) => tf.equal(tf.mod(tf.add(a, b), 2), 0);
    const fx = tf.minimum(tf.floor(px), n - 1);
    const fy = tf.minimum(tf.floor(py), n - 1);
    const onLineX = tf.logicalAnd(tf.equal(px, tf.floor(px)), tf.greater(px, 0));
    const onLineY = tf.logicalAnd(tf.equal(py, tf.floor(py)), tf.greater(py, 0));
    const fx2 = tf.where(onLineX, tf.sub(tf.floor(px), 1), fx);
    const fy2 = tf.where(onLineY, tf.sub(tf.floor(py), 1), fy);
    const even = tf.logicalOr(tf.logicalOr(parityAt(fx, fy), parityAt(fx2, fy)), tf.logicalOr(parityAt(fx, fy2), parityAt(fx2, fy2)));
    const inside = tf.logicalAnd(insideBox, even);
    return tf.where(inside, tf.fill([x.shape[0]], Math.log(this.densityOnSupport)), tf.fill([x.shape[0]], -Infinity)) as tf.Tensor1D;
  }

  protected sampleImpl(count: number, random: Random): tf.Tensor {
    const out = new Float32Array(2 * count);
    const side = 1 / this.gridSize;
    for (let k = 0; k < count; k++) {
      const [i, j] = this.squares[random.int(this.squares.length)];
      out[2 * k] = (i + random.uniform()) * side;
      out[2 * k + 1] = (j + random.uniform()) * side;
    }
    return tf.tensor2d(out, [count, 2]);
  }

  moments(): { mean: [number, number]; variance: [number, number] } {
    const side = 1 / this.gridSize;
    const m = this.squares.length;
    let mx = 0;
    let my = 0;
    for (const [i, j] of this.squares) {
      mx += (i + 0.5) * side;
      my += (j + 0.5) * side;
    }
    mx /= m;
    my /= m;
    let vx = 0;
    let vy = 0;
    for (const [i, j] of this.squares) {
      vx += ((i + 0.5) * side - mx) ** 2 + (side * side) / 12;
      vy += ((j + 0.5) * side - my) ** 2 + (side * side) / 12;
    }
    return { mean: [mx, my], variance: [vx / m, vy / m] };
  }
}
