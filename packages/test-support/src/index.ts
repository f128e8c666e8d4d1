export { findChromium, evaluateInChromium, bundleForBrowser } from './chromium.js';
export { browserSkipReason, nativeSkipReason } from './optional-suites.js';
export { captureConsole, type CapturedOutput, type CaptureOptions } from './console-capture.js';
