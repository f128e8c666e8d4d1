import { FLOWS_KERNEL_NAMES } from '@flows/kernels';
import { describe, expect, it } from 'vitest';
import { OTHER_KERNELS, PRODUCT_KERNELS } from './index.js';

describe('the registration list of the native kernels', () => {
  it('holds each kernel once, and a native kernel for every fused kernel of the @flows/kernels contract', () => {
    const names = [...PRODUCT_KERNELS, ...OTHER_KERNELS].map((kernel) => kernel.kernelName);
    expect(new Set(names).size).toBe(names.length);
    const fused = OTHER_KERNELS.filter((kernel) => kernel.kind === 'fused').map((kernel) => kernel.kernelName);
    expect([...fused].sort()).toEqual([...FLOWS_KERNEL_NAMES].sort());
    expect(names).toEqual(expect.arrayContaining(['BatchMatMul', '_FusedMatMul', 'Exp', 'Log1p', 'Softplus', 'Tanh', 'Conv2D', 'FusedConv2D']));
  });
});
