import { captureConsole } from '@flows/test-support';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

const output = captureConsole();

describe("toy-flow's backend options", () => {
  it("every command takes the apps' one backend declaration: the backend table's choices, webgl included", async () => {
    for (const command of ['train', 'logprob', 'sample', 'plot']) {
      output.clear();
      expect(await main([command, '--help'])).toBe(0);
      expect(output.stdout).toMatch(/--backend <auto\|tensorflow\|webgpu\|webgl\|wasm\|cpu>/);
      expect(output.stdout).toMatch(/--threads <integer>[\s\S]*--native[\s\S]*--no-native/);
    }
  });
});
