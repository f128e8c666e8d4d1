import * as tf from '@tensorflow/tfjs-core';
import { isNode } from '@flows/core';
import type { BackendStarter } from './backend-starter.js';
import { importOptional } from './import-optional.js';

/**
 * The WebGL renderer of a throwaway canvas, and whether it is a CPU rasterizer. In a Web Worker
 * (no `document`) the canvas is an `OffscreenCanvas`, which is also what the webgl backend draws on there.
 */
function webglRenderer(): { name: string; software: boolean } | null {
  type Canvas = { getContext(kind: string): unknown };
  const scope = globalThis as {
    document?: { createElement(tag: 'canvas'): Canvas };
    OffscreenCanvas?: new (width: number, height: number) => Canvas;
  };
  const canvas = (): Canvas | null =>
    scope.document ? scope.document.createElement('canvas') : scope.OffscreenCanvas ? new scope.OffscreenCanvas(1, 1) : null;
  if (!canvas()) return null;
  const gl = (canvas()?.getContext('webgl2') ?? canvas()?.getContext('webgl')) as {
    getExtension(name: string): { UNMASKED_RENDERER_WEBGL: number } | null;
    getParameter(parameter: number): unknown;
    RENDERER: number;
  } | null;
  if (!gl) return null;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? 'unknown renderer');
  return { name, software: /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render/i.test(name) };
}

/** A hardware GPU through WebGL, in browsers: the page imports `@tensorflow/tfjs-backend-webgl`. Finds the renderer's name. */
export const webglStarter: BackendStarter<'webgl'> = {
  name: 'webgl',
  runsIn: ['browser'],
  async start({ auto }) {
    if (isNode()) throw new Error('WebGL needs a browser');
    const renderer = webglRenderer();
    if (!renderer) throw new Error('this browser gives no WebGL context');
    // A software rasterizer (SwiftShader, llvmpipe) runs the shaders on the CPU, slower than wasm.
    if (renderer.software && auto) throw new Error(`only a software renderer (${renderer.name}); name the backend to use it anyway`);
    if (!tf.findBackendFactory('webgl')) {
      try {
        await importOptional('@tensorflow/tfjs-backend-webgl');
      } catch {
        throw new Error(
          isNode()
            ? "the 'webgl' backend is not installed (npm install @tensorflow/tfjs-backend-webgl)"
            : "the 'webgl' backend is not registered: add import '@tensorflow/tfjs-backend-webgl' to your page",
        );
      }
    }
    if (!(await tf.setBackend('webgl'))) throw new Error("the 'webgl' backend did not start");
    return { adapter: `${renderer.name}${renderer.software ? ' (software)' : ''}` };
  },
  describe: ({ adapter }) => (adapter ? ` on ${adapter}` : ''),
};
