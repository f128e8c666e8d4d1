import { allInOrder, importNodeBuiltin } from '@flows/core';
import { type ImportedFlow, importTorchFlow } from './import-flow.js';
import { ArchitectureError } from './errors.js';

async function node() {
  const [fs, path] = await Promise.all([
    importNodeBuiltin<typeof import('node:fs/promises')>('fs/promises', 'reading exported flows from files'),
    importNodeBuiltin<typeof import('node:path')>('path', 'reading exported flows from files'),
  ]);
  return { fs, path };
}

/** The description that export_flow.py writes beside a weights file: the same name, `.json`. */
export function descriptionPathOf(weightsPath: string): string {
  return `${weightsPath.replace(/\.safetensors$/i, '')}.json`;
}

async function read(fs: typeof import('node:fs/promises'), file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ArchitectureError(file, code === 'ENOENT' ? `${what} not found` : `${what} cannot be read (${code})`);
  }
}

/**
 * Reads an exported flow from files (Node): the safetensors weights and the JSON description
 * (by default beside the weights, with `.json` for `.safetensors`), and imports it with
 * {@link importTorchFlow}.
 */
export async function importTorchFiles(weightsPath: string, descriptionPath = descriptionPathOf(weightsPath)): Promise<ImportedFlow> {
  const { fs } = await node();
  // In order: with Promise.all, whichever read failed first named the problem, so a missing
  // weights file was sometimes reported as a missing description.
  const [weights, text] = await allInOrder([read(fs, weightsPath, 'weights file'), read(fs, descriptionPath, 'architecture description')]);
  let description: unknown;
  try {
    description = JSON.parse(new TextDecoder().decode(text));
  } catch (error) {
    throw new ArchitectureError(descriptionPath, `is not valid JSON (${(error as Error).message})`);
  }
  return importTorchFlow(weights, description);
}
