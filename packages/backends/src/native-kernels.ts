import type { NativeKernelsFound } from './backend-starter.js';
import { importOptional } from './import-optional.js';

/**
 * Installs the optional native kernels of `@flows/native-kernels` on the active wasm backend: their
 * thread count and what computes the matrix products, or why they are not in use.
 */
export async function installNativeKernels(threads: number | undefined): Promise<NativeKernelsFound> {
  let module: Record<string, unknown>;
  try {
    module = await importOptional('@flows/native-kernels');
  } catch {
    return { unavailable: "the optional '@flows/native-kernels' package is not installed" };
  }
  const install = module.installNativeKernels as (options: { threads?: number }) => {
    installed: boolean;
    reason?: string;
    threads?: number;
    products?: 'avx512' | 'openblas';
  };
  const status = install({ threads });
  if (!status.installed) return { unavailable: status.reason ?? 'unknown reason' };
  return status.products ? { threads: status.threads ?? 1, products: status.products } : { threads: status.threads ?? 1 };
}

/** The native kernels in words, for `describeBackend`: which compute the products, or why none run. */
export function describeNativeKernels(found: NativeKernelsFound | undefined): string {
  if (!found) return '';
  if ('unavailable' in found) return `, stock matrix products (native kernels unavailable: ${found.unavailable})`;
  return `, native kernels: ${found.products === 'avx512' ? 'own AVX-512 matrix products' : 'OpenBLAS matrix products'} (${found.threads} ${found.threads === 1 ? 'thread' : 'threads'})`;
}
