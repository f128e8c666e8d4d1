export { installNativeKernels, installNativeMatMul, type NativeKernelOptions, type NativeMatMulStatus } from './install.js';
