import { describeOptions } from '@flows/cli-kit';
import { describe, expect, it } from 'vitest';
import { BACKEND_OPTIONS } from './shared-options.js';

describe("flow-codec's backend options", () => {
  it("are the apps' one declaration (the backend table's choices, webgl included), with decoding's advice, --workers and --quiet", () => {
    const help = describeOptions(BACKEND_OPTIONS);
    expect(help).toMatch(
      /--backend <auto\|tensorflow\|webgpu\|webgl\|wasm\|cpu>\s+TensorFlow\.js backend; auto takes the first that starts.*; decode with the backend that encoded \(default auto\)/,
    );
    expect(Object.keys(BACKEND_OPTIONS)).toEqual(['backend', 'threads', 'native', 'no-native', 'workers', 'quiet']);
    expect(help).toMatch(/--workers <integer>\s+continuous flows: threads that code a file's chains side by side/);
  });
});
