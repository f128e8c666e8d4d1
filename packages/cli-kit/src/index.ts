export { createPicture, setPixel, encodePng, decodePng, type Picture, type Rgb } from './png.js';
export { viridis, gridPoints, densityPicture, densityBackground, drawPoints, sideBySide, fade, imageGrid, type Range2D } from './plot.js';
export { ProgressBar, formatDuration, formatRate, type ProgressOptions } from './progress.js';
export { parseOptions, describeOptions, settingDifferences, appWasmThreads, denseMultiplyAdds, WASM_THREADS_WORK_THRESHOLD, THREADS_OPTION, NATIVE_BLAS_OPTION, nativeBlasSetting, UsageError, type OptionSpec, type OptionKind, type ParsedOptions } from './args.js';
export { parseNumericCsv, readNumericCsv, formatCsv, CsvError, type NumericTable } from './csv.js';
export { runCommands, type Command } from './commands.js';
