/**
 * Node's built-in modules for the few functions that need files, processes or threads (saving
 * models, reading IDX files, the wasm threads shim).
 *
 * They are imported by a computed specifier, so that a bundler building a page for the browser
 * (esbuild, Vite, webpack) neither tries to resolve `node:fs` nor includes it: the packages bundle
 * for the browser with no configuration. Calling such a function in a browser throws a
 * {@link NodeOnlyError} that names it, instead of a bundler error or a 404.
 */

/** Thrown when a Node-only function (files, processes) is called outside Node. */
export class NodeOnlyError extends Error {
  constructor(who: string, what: string) {
    super(
      `${who} ${what} and runs only in Node; in a browser, use the in-memory or URL variant (for models: serializeModel, deserializeModel, loadModelFromUrl)`,
    );
    this.name = 'NodeOnlyError';
  }
}

/** Whether this is Node (or a runtime that provides Node's built-in modules). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** `import('node:<name>')` hidden from bundlers; throws {@link NodeOnlyError} outside Node. */
export async function importNodeBuiltin<T = Record<string, unknown>>(name: string, who: string, what = 'reads or writes files'): Promise<T> {
  if (!isNode()) throw new NodeOnlyError(who, what);
  const specifier = `node:${name}`;
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
}
