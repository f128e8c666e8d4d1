export {
  renderFigure,
  renderSvg,
  svgToPng,
  writeFigure,
  colourMap,
  rasterDataUrl,
  imageMosaic,
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
export {
  parseOptions,
  describeOptions,
  denseMultiplyAdds,
  UsageError,
  type OptionSpec,
  type OptionKind,
  type ParsedOptions,
  type OptionValue,
  defineOptions,
} from './args.js';
export {
  BACKEND_OPTIONS,
  startBackend,
  THREADS_OPTION,
  NATIVE_OPTION,
  NO_NATIVE_OPTION,
  type BackendFlags,
} from './backend-options.js';
export { WASM_THREADS_WORK_THRESHOLD } from '@flows/backends';
export { parseNumericCsv, formatCsv, CsvError, type NumericTable } from './csv.js';
export { readNumericCsv } from './csv-file.js';
export { runCommands, type Command, type RunCommandsOptions } from './commands.js';
export { modelOrigin, describeOrigin, commandFor, type ModelOrigin, type ModelKind } from './model-origin.js';
export { modelReference, modelReferenceHelp } from './model-reference.js';
