#!/usr/bin/env node
// Fails when a file of a workspace package or app (a test above all) imports another package's
// files by relative path (`../../flows/src/test-support/chromium.js`): such an import works only
// inside this checkout, hides a dependency from package.json, pnpm and turbo's build order, and
// typechecks against source the other package never ships. Import the package by name instead,
// as a dependency or devDependency (shared test helpers live in the private @flows/test-support).
// Files at the root that every package shares by design (tsup.shared.js) are not another package.
// Hand-written over a regular expression, like check-import-cycles.mjs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');
/** Folders that hold no source of the package itself: installs, builds, tools' output. */
const SKIPPED = new Set(['node_modules', 'dist', 'build', 'test-artifacts', 'coverage']);
const SOURCE = /\.(?:[cm]?[jt]s|tsx)$/;

function walk(dir, files) {
  for (const entry of readdirSync(dir)) {
    if (SKIPPED.has(entry) || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, files);
    else if (SOURCE.test(entry) && !entry.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

const importPattern =
  /(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|import\s+['"](\.{1,2}\/[^'"]+)['"]/g;

/** The folders of the workspace's packages and apps. */
const packageRoots = [];
for (const group of ['packages', 'apps']) {
  let members = [];
  try {
    members = readdirSync(join(root, group));
  } catch {
    // no such group in this checkout
  }
  for (const name of members) if (statSync(join(root, group, name)).isDirectory()) packageRoots.push(join(root, group, name));
}
const inside = (path, folder) => path === folder || path.startsWith(folder + sep);

const violations = [];
let checked = 0;
for (const packageRoot of packageRoots) {
  for (const file of walk(packageRoot, [])) {
    checked += 1;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      const target = resolve(dirname(file), specifier);
      const other = inside(target, packageRoot) ? undefined : packageRoots.find((folder) => inside(target, folder));
      if (other) {
        const line = text.slice(0, match.index).split('\n').length;
        violations.push(`${relative(root, file)}:${line}: '${specifier}' reaches into ${relative(root, other)}`);
      }
    }
  }
}

if (violations.length > 0) {
  console.error(`${violations.length} import(s) of another package's files by relative path:`);
  for (const violation of violations) console.error(`  ${violation}`);
  console.error("Import the package by name (add it to devDependencies; shared test helpers are in '@flows/test-support').");
  process.exit(1);
}
console.log(`no relative imports across packages in ${checked} files`);
