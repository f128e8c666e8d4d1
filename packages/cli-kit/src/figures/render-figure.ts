import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A rendered figure: the same picture as SVG text and as PNG bytes. */
export interface RenderedFigure {
  svg: string;
  png: Uint8Array;
}

/** Pixels per SVG unit in the PNG: 2 gives sharp text on high-density screens and in READMEs. */
const PNG_SCALE = 2;

/** DejaVu Sans from the `dejavu-fonts-ttf` package: the same glyphs on every machine, fonts installed or not. */
function bundledFontFiles(): string[] {
  try {
    const folder = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
    return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((name) => join(folder, name));
  } catch {
    return [];
  }
}

/** Draws a Vega-Lite specification as SVG: Vega-Lite compiles it to Vega, Vega renders it headless (no canvas needed). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG text to PNG with resvg, using the bundled DejaVu Sans so text looks the same wherever it runs. */
export function svgToPng(svg: string): Uint8Array {
  const fontFiles = bundledFontFiles();
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: PNG_SCALE },
    background: 'white',
    font: { fontFiles, loadSystemFonts: fontFiles.length === 0, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** Renders a Vega-Lite specification headless, as SVG and as PNG. */
export async function renderFigure(spec: TopLevelSpec): Promise<RenderedFigure> {
  const svg = await renderSvg(spec);
  return { svg, png: svgToPng(svg) };
}

/**
 * Renders a figure and writes `<path>.svg` and `<path>.png` with the given writer (pass an atomic
 * one, such as `writeFileAtomic` of `@flows/flows`). Returns the PNG's path.
 */
export async function writeFigure(path: string, spec: TopLevelSpec, write: (path: string, contents: string | Uint8Array) => Promise<unknown>): Promise<string> {
  const base = path.replace(/\.(png|svg)$/, '');
  const svg = await renderSvg(spec);
  await write(`${base}.svg`, svg);
  await write(`${base}.png`, svgToPng(svg));
  return `${base}.png`;
}
