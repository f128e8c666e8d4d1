/** A figure: a Vega-Lite specification (https://vega.github.io/vega-lite/docs/spec.html). */
export type { TopLevelSpec as FigureSpec } from 'vega-lite';
export { renderFigure, renderSvg, svgToPng, writeFigure, type RenderedFigure } from './render-figure.js';
export { colourMap, rasterDataUrl, imageMosaic, type Rgb } from './raster.js';
export { finiteMaximum, type Range2D } from './grid.js';
export { densityFigure, type DensityFigureOptions, type DensityPanel } from './density-figure.js';
export { pointsFigure, type PointsFigureOptions, type PointSeries } from './points-figure.js';
export { curvesFigure, type CurvesFigureOptions, type CurvePanel, type Curve } from './curves-figure.js';
export { imageGridFigure, type ImageGridFigureOptions } from './image-grid-figure.js';
export { sideBySideFigure } from './side-by-side-figure.js';
