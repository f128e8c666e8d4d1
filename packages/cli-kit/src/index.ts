export {
  renderFigure,
  renderSvg,
  svgToPng,
  writeFigure,
  colourMap,
  rasterDataUrl,
  imageMosaic,
  gridPoints,
  finiteMaximum,
  densityFigure,
  pointsFigure,
  curvesFigure,
  imageGridFigure,
  sideBySideFigure,
  type FigureSpec,
  type RenderedFigure,
  type Rgb,
  type Range2D,
  type DensityFigureOptions,
  type DensityPanel,
  type PointsFigureOptions,
  type PointSeries,
  type CurvesFigureOptions,
  type CurvePanel,
  type Curve,
  type ImageGridFigureOptions,
} from './figures/index.js';
export { ProgressBar, formatDuration, formatRate, type ProgressOptions } from './progress.js';
export { parseOptions, describeOptions, settingDifferences, appWasmThreads, denseMultiplyAdds, WASM_THREADS_WORK_THRESHOLD, THREADS_OPTION, NATIVE_BLAS_OPTION, nativeBlasSetting, UsageError, type OptionSpec, type OptionKind, type ParsedOptions } from './args.js';
export { parseNumericCsv, readNumericCsv, formatCsv, CsvError, type NumericTable } from './csv.js';
export { runCommands, type Command } from './commands.js';
