import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { appCommandsIn, appCommandsOf, fencedBlocks, programOf, readText, scriptUsesOf } from './code-blocks.js';

const docs = dirname(fileURLToPath(import.meta.url));
const root = resolve(docs, '..');
const examples = join(docs, '.examples');

/** Every Markdown file a reader of the repository or of a package sees (not changelogs or changesets). */
function markdownFiles(): string[] {
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  return listed.stdout
    .split('\n')
    .filter((file) => file && !file.startsWith('.changeset/') && !/(^|\/)CHANGELOG\.md$/.test(file))
    .sort();
}

function packageScripts(): Map<string, Record<string, string>> {
  const scripts = new Map<string, Record<string, string>>();
  const read = (dir: string) => {
    try {
      const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
      scripts.set(dir === '.' ? '.' : manifest.name, manifest.scripts ?? {});
    } catch {
      // not a package
    }
  };
  read('.');
  for (const group of ['packages', 'apps']) for (const dir of readdirSync(join(root, group))) read(join(group, dir));
  read('bench');
  read('docs');
  return scripts;
}

/**
 * Runs a process without blocking the event loop (unlike spawnSync), so that vitest's worker keeps
 * answering its runner while long examples run: a blocked worker misses its RPC deadline.
 */
function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; timeout: number },
): Promise<{ status: number | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ status: null, stdout, stderr, error });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const slug = (file: string) => file.replace(/[^\w]+/g, '-').replace(/-md$/, '');

describe('the code-block reader', () => {
  it('finds fenced blocks with their language and line', () => {
    const text = 'intro\n```ts\nconst a = 1;\n```\n\n```sh\ntoy-flow train --data x\n```\n';
    expect(fencedBlocks(text)).toEqual([
      { language: 'ts', code: 'const a = 1;', line: 2 },
      { language: 'sh', code: 'toy-flow train --data x', line: 6 },
    ]);
  });

  it('joins a file’s script blocks into one program without repeating an import line', () => {
    const text =
      "```ts\nimport * as tf from '@tensorflow/tfjs-core';\nconst a = 1;\n```\n```ts\nimport * as tf from '@tensorflow/tfjs-core';\nconsole.log(a);\n```";
    const program = programOf(text)!;
    expect(program.code.match(/import \* as tf/g)).toHaveLength(1);
    expect(program.isTest).toBe(false);
    expect(programOf("```ts\nimport { describeBijectorConformance } from '@flows/bijectors/testing/vitest';\n```")!.isTest).toBe(true);
  });

  it('finds app invocations in shell lines and inline code, whatever launches them', () => {
    expect(appCommandsIn('pnpm --filter @flows/toy-flow toy-flow train --data two-gaussians --out ../../runs/x')).toMatchObject([
      { app: 'toy-flow', args: ['train', '--data', 'two-gaussians', '--out', '../../runs/x'] },
    ]);
    expect(appCommandsIn('pnpm build && node apps/vae-eval/dist/cli.js compare --out runs/vae')).toMatchObject([
      { app: 'vae-eval', args: ['compare', '--out', 'runs/vae'] },
    ]);
    const text = 'Run `toy-flow train --toy chequerboard --flow spline`.\n```sh\nmnist-flow train --out a \\\n  --epochs 2   # two\n```';
    expect(appCommandsOf(text).map((c) => c.args)).toEqual([
      ['train', '--out', 'a', '--epochs', '2'],
      ['train', '--toy', 'chequerboard', '--flow', 'spline'],
    ]);
    expect(scriptUsesOf('```sh\nnpm install -g pnpm@10 && pnpm install && pnpm run main\npnpm --filter @flows/native-kernels build:native\n```')).toMatchObject(
      [
        { packageName: null, script: 'main' },
        { packageName: '@flows/native-kernels', script: 'build:native' },
      ],
    );
  });
});

describe.each(markdownFiles())('%s', (file) => {
  const markdown = readText(join(root, file));
  const program = programOf(markdown);
  const commands = appCommandsOf(markdown);
  const scripts = scriptUsesOf(markdown);

  it.runIf(program !== null)(`its TypeScript blocks run as one program`, async () => {
    const directory = join(examples, slug(file));
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory, { recursive: true });
    const { code } = transformSync(program!.code, {
      loader: 'ts',
      format: 'esm',
      target: 'node20',
      sourcefile: file,
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    });
    const script = join(directory, program!.isTest ? 'example.test.mjs' : 'example.mjs');
    writeFileSync(script, code);
    // Its own vitest configuration, so that the runner's (which includes only itself) is not found above it.
    if (program!.isTest)
      writeFileSync(join(directory, 'vitest.config.mjs'), "export default { test: { include: ['example.test.mjs'], testTimeout: 300000 } };\n");
    const vitest = join(docs, 'node_modules', 'vitest', 'vitest.mjs');
    const [command, args] = program!.isTest
      ? [process.execPath, [vitest, 'run', '--root', directory, '--config', join(directory, 'vitest.config.mjs')]]
      : [process.execPath, [script]];
    const result = await runProcess(command as string, args as string[], { cwd: directory, timeout: 480_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    if (result.status !== 0) {
      throw new Error(
        `${file}: its code blocks (${program!.blocks}, run as ${relative(root, script)}) failed with exit code ${result.status}${result.error ? ` (${result.error.message})` : ''}:\n${output.slice(-4000)}`,
      );
    }
  });

  it.runIf(commands.length > 0)('its app command lines use options the apps know', async () => {
    const failures: string[] = [];
    for (const command of commands) {
      const cli = join(root, 'apps', command.app, 'dist', 'cli.js');
      const result = await runProcess(process.execPath, [cli, ...command.args, '--help'], { cwd: root, timeout: 60_000 });
      if (result.status !== 0) failures.push(`\`${command.text}\`: ${(result.stderr || result.stdout).trim().split('\n')[0]}`);
    }
    expect(failures, `${file}: command lines the apps reject`).toEqual([]);
  });

  it.runIf(scripts.length > 0)('its pnpm commands name scripts that exist', () => {
    const known = packageScripts();
    const failures = scripts
      .filter((use) => !known.get(use.packageName ?? '.')?.[use.script])
      .map((use) => `\`${use.text}\`: ${use.packageName ?? 'the root package'} has no script '${use.script}'`);
    expect(failures).toEqual([]);
  });
});
