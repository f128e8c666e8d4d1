#!/usr/bin/env node
// Fails when a source file imports, directly or through others, a module that imports it back.
// Only relative imports are followed: across packages, the workspace's dependency graph (which
// pnpm refuses to let loop) already rules cycles out. Type-only imports count too, so that the
// layering reads the same to a person as to the compiler. Hand-written because it is forty lines
// over a regular expression; a general tool (madge and its parsers) would add a dozen packages.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const sourceFiles = [];
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) walk(join(root, group, name, 'src'));
}

function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.ts$/.test(entry) && !/\.d\.ts$/.test(entry)) sourceFiles.push(path);
  }
}

const importPattern =
  /(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|import\s+['"](\.{1,2}\/[^'"]+)['"]/g;
const graph = new Map();
for (const file of sourceFiles) {
  const text = readFileSync(file, 'utf8');
  const targets = [];
  for (const match of text.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    targets.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
  }
  graph.set(
    file,
    targets.filter((target) => graph.has(target) || sourceFiles.includes(target)),
  );
}

const state = new Map(); // 1: on the current path, 2: done
const cycles = [];
function visit(file, path) {
  state.set(file, 1);
  path.push(file);
  for (const target of graph.get(file) ?? []) {
    if (state.get(target) === 1) cycles.push([...path.slice(path.indexOf(target)), target]);
    else if (!state.has(target)) visit(target, path);
  }
  path.pop();
  state.set(file, 2);
}
for (const file of sourceFiles) if (!state.has(file)) visit(file, []);

if (cycles.length > 0) {
  console.error(`${cycles.length} import cycle(s):`);
  for (const cycle of cycles) console.error(`  ${cycle.map((file) => relative(root, file)).join(' → ')}`);
  process.exit(1);
}
console.log(`no import cycles among ${sourceFiles.length} source files`);
