#!/usr/bin/env node
// The toolchain the README names is the one installed. Two TypeScripts are installed on purpose:
// typescript-7 gives the `tsc` that every package's typecheck and lint scripts run (pnpm links one
// of two bins named tsc, so this checks which), and typescript 5.x is what tsup's declaration build
// and TypeDoc load, since TypeScript 7's package has no compiler API. Vitest and the playground's
// Vite are the majors the README says. Part of `pnpm lint`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
// The README's toolchain bullet, up to the next bullet.
const toolchain = /^- Toolchain:[\s\S]*?(?=\n- |\n\n)/m.exec(readFileSync(join(root, 'README.md'), 'utf8'))?.[0] ?? '';

/** The version of `name` that a module under `from` (a package.json) resolves to. */
function versionFrom(from, name) {
  const require = createRequire(from);
  return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

const problems = [];
const tsc = execFileSync('pnpm', ['--filter', '@flows/core', 'exec', 'tsc', '--version'], { cwd: root, encoding: 'utf8' }).trim();
const checker = /^Version (\d+)\.(\d+)/.exec(tsc);
if (checker?.[1] !== '7') problems.push(`the packages' tsc is '${tsc}', not TypeScript 7 (typescript-7's bin should win over typescript's)`);
const rootManifest = join(root, 'package.json');
const tsupManifest = createRequire(rootManifest).resolve('tsup/package.json');
const typedocManifest = createRequire(rootManifest).resolve('typedoc/package.json');
const api = versionFrom(tsupManifest, 'typescript');
const apiMajorMinor = api.split('.').slice(0, 2).join('.');
if (versionFrom(typedocManifest, 'typescript') !== api) problems.push('tsup and TypeDoc load different TypeScript versions');
const vitest = versionFrom(rootManifest, 'vitest').split('.')[0];
const vite = versionFrom(join(root, 'apps/playground/package.json'), 'vite').split('.')[0];
const named = [checker ? `TypeScript ${checker[1]}` : 'TypeScript 7', `TypeScript ${apiMajorMinor}`, `Vitest ${vitest}`, `Vite ${vite}`];
if (!toolchain) problems.push("README.md has no '- Toolchain:' bullet");
for (const name of named) if (!toolchain.includes(name)) problems.push(`README.md's toolchain bullet does not name ${name}, which is installed`);
if (problems.length) {
  console.error(`check-toolchain:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`toolchain: tsc ${tsc.replace('Version ', '')}, tsup and TypeDoc on TypeScript ${api}, Vitest ${vitest}, Vite ${vite}: as the README says`);
