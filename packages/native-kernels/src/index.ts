export type { NativeIsa } from './addon.js';
export { installNativeKernels, installNativeMatMul, nativeIsaPaths, type NativeKernelOptions, type NativeMatMulStatus } from './install.js';
