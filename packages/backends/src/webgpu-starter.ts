import * as tf from '@tensorflow/tfjs-core';
import { importNodeBuiltin, isNode } from '@flows/core';
import type { BackendStarter } from './backend-starter.js';
import { importOptional } from './import-optional.js';

interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { description?: string; vendor?: string; architecture?: string; device?: string; isFallbackAdapter?: boolean };
}

/** An adapter's name and whether it is a software rasterizer (Mesa's lavapipe, SwiftShader). */
interface AdapterSummary {
  name: string;
  software: boolean;
}

function summarizeAdapter(adapter: AdapterLike): AdapterSummary {
  const info = adapter.info ?? {};
  const software = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || info.architecture === 'software';
  const name = info.description || [info.vendor, info.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return { name, software };
}

/** Why the automatic choice passes over a software adapter. */
function softwareAdapterError(name: string): Error {
  return new Error(`only a software adapter (${name}); name the backend to use it anyway`);
}

/**
 * Asks Dawn for an adapter in a child Node process whose stderr is dropped. Dawn prints warnings
 * while it looks for a GPU ("Couldn't load Vulkan", limits it reduces) that a user who did not ask
 * for WebGPU should not see; in-process they would go straight to this process's stderr.
 */
async function probeWebgpuQuietly(): Promise<AdapterSummary | null> {
  const { execFile } = await importNodeBuiltin<typeof import('node:child_process')>('child_process', 'the WebGPU probe');
  const { createRequire } = await importNodeBuiltin<typeof import('node:module')>('module', 'the WebGPU probe');
  const { pathToFileURL } = await importNodeBuiltin<typeof import('node:url')>('url', 'the WebGPU probe');
  let dawnUrl: string;
  try {
    dawnUrl = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    throw new Error("no navigator.gpu and the optional 'webgpu' package is not installed");
  }
  // The child reports the adapter's raw fields; summarizeAdapter reads them here, as for an adapter in-process.
  const script = `const dawn = await import(${JSON.stringify(dawnUrl)});
const adapter = await dawn.create([]).requestAdapter({ powerPreference: 'high-performance' });
const { description, vendor, architecture, device, isFallbackAdapter } = adapter?.info ?? {};
process.stdout.write(JSON.stringify(adapter ? { isFallbackAdapter: adapter.isFallbackAdapter, info: { description, vendor, architecture, device, isFallbackAdapter } } : null));
process.exit(0);`;
  const output = await new Promise<string>((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000, encoding: 'utf8' }, (_error, stdout) => resolve(stdout));
  });
  try {
    const adapter = JSON.parse(output) as AdapterLike | null;
    return adapter ? summarizeAdapter(adapter) : null;
  } catch {
    return null;
  }
}

/**
 * A hardware GPU through WebGPU: the page's `navigator.gpu`, or in Node the optional `webgpu`
 * package (Dawn) with `@tensorflow/tfjs-backend-webgpu`. Finds the adapter's name.
 */
export const webgpuStarter: BackendStarter<'webgpu'> = {
  name: 'webgpu',
  runsIn: ['node', 'browser'],
  async start({ auto }) {
    const g = globalThis as { navigator?: { gpu?: { requestAdapter(options?: object): Promise<unknown> } } };
    if (!g.navigator?.gpu && auto && isNode()) {
      // The automatic choice looks first in a quiet child process, and loads Dawn here only for a hardware GPU.
      const found = await probeWebgpuQuietly();
      if (!found) throw new Error('no WebGPU adapter found');
      if (found.software) throw softwareAdapterError(found.name);
    }
    if (!g.navigator?.gpu) {
      // In Node, the `webgpu` package (Dawn) provides navigator.gpu.
      let dawn: Record<string, unknown>;
      try {
        dawn = await importOptional('webgpu');
      } catch {
        throw new Error("no navigator.gpu and the optional 'webgpu' package is not installed");
      }
      Object.assign(globalThis, dawn.globals as object);
      const gpu = (dawn.create as (flags: string[]) => { requestAdapter(): Promise<unknown> })([]);
      if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
      else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    }
    const adapter = (await g.navigator!.gpu!.requestAdapter({ powerPreference: 'high-performance' })) as AdapterLike | null;
    if (!adapter) throw new Error('no WebGPU adapter found');
    const { name, software } = summarizeAdapter(adapter);
    // A software rasterizer (Mesa's lavapipe, SwiftShader) runs WGSL on the CPU far slower than wasm:
    // right for testing kernels, wrong as an automatic choice.
    if (software && auto) throw softwareAdapterError(name);
    // A page's bundle registers the backend by importing it; in Node it is imported here.
    if (!tf.findBackendFactory('webgpu')) {
      try {
        await importOptional('@tensorflow/tfjs-backend-webgpu');
      } catch {
        throw new Error(
          isNode()
            ? "a GPU adapter exists but '@tensorflow/tfjs-backend-webgpu' is not installed"
            : "a GPU adapter exists: add import '@tensorflow/tfjs-backend-webgpu' to your page to use it",
        );
      }
    }
    if (!(await tf.setBackend('webgpu'))) throw new Error("the 'webgpu' backend did not start");
    return { adapter: `${name}${software ? ' (software)' : ''}` };
  },
  describe: ({ adapter }) => (adapter ? ` on ${adapter}` : ''),
};
