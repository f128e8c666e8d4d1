/** Imports an optional package by computed name, so that bundlers do not try to resolve it. */
export async function importOptional(name: string): Promise<Record<string, unknown>> {
  return (await import(/* @vite-ignore */ name)) as Record<string, unknown>;
}
