import { createPicture, type Picture, type Rgb, setPixel } from './png.js';

// Anchor colours of the viridis colour map (perceptually uniform, readable in grey).
const VIRIDIS: Rgb[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 73, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [181, 222, 43],
  [253, 231, 37],
];

/** Viridis at t in [0, 1]. */
export function viridis(t: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(VIRIDIS[i][c] * (1 - f) + VIRIDIS[i + 1][c] * f)) as Rgb;
}

export type Range2D = [[number, number], [number, number]];

/** Centres of a `size × size` grid over `range`, row 0 at the top (largest y), as [x, y] pairs. */
export function gridPoints(range: Range2D, size: number): Float32Array {
  const [[x0, x1], [y0, y1]] = range;
  const points = new Float32Array(size * size * 2);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const k = row * size + col;
      points[2 * k] = x0 + ((col + 0.5) / size) * (x1 - x0);
      points[2 * k + 1] = y1 - ((row + 0.5) / size) * (y1 - y0);
    }
  }
  return points;
}

/** A density heat map from densities on {@link gridPoints} (colour scale 0 … `maximum`). */
export function densityPicture(densities: ArrayLike<number>, size: number, maximum: number): Picture {
  const picture = createPicture(size, size);
  for (let k = 0; k < size * size; k++) setPixel(picture, k % size, Math.floor(k / size), viridis(densities[k] / maximum));
  return picture;
}

/** A light grey-scale density (white = 0, light grey = `maximum`): a quiet background for points. */
export function densityBackground(densities: ArrayLike<number>, size: number, maximum: number): Picture {
  const picture = createPicture(size, size);
  for (let k = 0; k < size * size; k++) {
    const level = Math.round(255 - 65 * Math.min(1, Math.max(0, densities[k] / maximum)));
    setPixel(picture, k % size, Math.floor(k / size), [level, level, level]);
  }
  return picture;
}

/** Draws points (x, y pairs) in `range` onto a square picture. */
export function drawPoints(picture: Picture, points: ArrayLike<number>, range: Range2D, color: Rgb, alpha = 0.35, radius = 1): void {
  const [[x0, x1], [y0, y1]] = range;
  const size = picture.width;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const px = ((points[i] - x0) / (x1 - x0)) * size;
    const py = ((y1 - points[i + 1]) / (y1 - y0)) * picture.height;
    for (let dx = -radius + 1; dx < radius; dx++) for (let dy = -radius + 1; dy < radius; dy++) setPixel(picture, px + dx, py + dy, color, alpha);
  }
}

/** Pictures side by side with a white gap. */
export function sideBySide(pictures: Picture[], gap = 8): Picture {
  const height = Math.max(...pictures.map((p) => p.height));
  const width = pictures.reduce((s, p) => s + p.width, 0) + gap * (pictures.length - 1);
  const out = createPicture(width, height);
  let x = 0;
  for (const p of pictures) {
    for (let row = 0; row < p.height; row++) out.data.set(p.data.subarray(row * p.width * 4, (row + 1) * p.width * 4), (row * width + x) * 4);
    x += p.width + gap;
  }
  return out;
}

/** Lightens a picture towards white (a background for points drawn on top). */
export function fade(picture: Picture, amount = 0.6): Picture {
  const out = { ...picture, data: picture.data.slice() };
  for (let i = 0; i < out.data.length; i += 4) for (let c = 0; c < 3; c++) out.data[i + c] = Math.round(out.data[i + c] * (1 - amount) + 255 * amount);
  return out;
}

/**
 * A grid of grey images (values in [0, 1], `rows × cols` pixels each), `gridRows × gridCols`,
 * each pixel drawn as a `scale × scale` block with a 1-block border.
 */
export function imageGrid(images: ArrayLike<number>[], imageRows: number, imageCols: number, gridCols: number, scale = 2): Picture {
  const gridRows = Math.ceil(images.length / gridCols);
  const cellW = (imageCols + 1) * scale;
  const cellH = (imageRows + 1) * scale;
  const out = createPicture(gridCols * cellW + scale, gridRows * cellH + scale, [128, 128, 128]);
  images.forEach((image, n) => {
    const ox = (n % gridCols) * cellW + scale;
    const oy = Math.floor(n / gridCols) * cellH + scale;
    for (let r = 0; r < imageRows; r++) {
      for (let c = 0; c < imageCols; c++) {
        const v = Math.round(255 * Math.min(1, Math.max(0, image[r * imageCols + c])));
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) setPixel(out, ox + c * scale + dx, oy + r * scale + dy, [v, v, v]);
      }
    }
  });
  return out;
}
