import type { Bijector } from '@flows/core';

/** Builds a flow's layers; when one fails (a rejected option), frees those built before it and rethrows. */
export function buildLayers(count: number, build: (index: number) => Bijector): Bijector[] {
  const layers: Bijector[] = [];
  try {
    for (let i = 0; i < count; i++) layers.push(build(i));
  } catch (error) {
    for (const layer of layers) layer.dispose();
    throw error;
  }
  return layers;
}

/** `layers` followed by those `build` makes; when it fails, frees `layers` too and rethrows. */
export function appendLayers(layers: Bijector[], build: () => Bijector[]): Bijector[] {
  try {
    return [...layers, ...build()];
  } catch (error) {
    for (const layer of layers) layer.dispose();
    throw error;
  }
}
