#!/usr/bin/env node
// Fails when an app declares its own backend choices: a list of backend names in its source (an
// array such as ['auto', 'wasm', 'cpu'], or a union type 'wasm' | 'cpu'), or a direct
// selectBackend( call. The apps take their backend options from @flows/cli-kit (BACKEND_OPTIONS,
// whose choices come from @flows/backends' table, and startBackend), so a new backend is one row of
// that table and every app offers it; a copied list silently goes stale (every copy once lacked
// webgl). The names are read from the table's source, so this check needs no build. Tests are not
// apps' declarations and are not checked. Hand-written over regular expressions, like
// check-import-cycles.mjs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/**
 * Files allowed to do what the rule forbids, each with the reason. Paths relative to the root;
 * a folder allows every file below it.
 */
const ALLOWED = new Map([
  // The playground's Web Worker starts its backend in the browser, where the Node-only cli-kit does
  // not run, and passes selectBackend the page's wasmPaths: it calls selectBackend directly.
  ['apps/playground/src/training-worker.ts', ['selectBackend']],
  // The image page's worker likewise (its models on wasm, cpu where WebAssembly cannot start).
  ['apps/playground/src/images/worker.ts', ['selectBackend']],
  // Test support, not a command: builds the tests' tiny models on the cpu backend.
  ['apps/flow-codec/src/tiny-fixtures.ts', ['selectBackend']],
]);

/** The backend names: each row of @flows/backends' table is a BackendStarter<'name'>. */
const backendsSource = join(root, 'packages/backends/src');
const names = new Set(['auto']);
for (const entry of readdirSync(backendsSource)) {
  if (!entry.endsWith('.ts') || entry.endsWith('.test.ts')) continue;
  for (const match of readFileSync(join(backendsSource, entry), 'utf8').matchAll(/BackendStarter<'([a-z0-9-]+)'>/g)) names.add(match[1]);
}
if (names.size < 3) {
  console.error(`check-backend-choices: found only ${[...names].join(', ')} in ${relative(root, backendsSource)}; has the backend table moved?`);
  process.exit(1);
}

const SKIPPED = new Set(['node_modules', 'dist', 'build', 'test-artifacts', 'coverage']);
function walk(dir, files) {
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return files;
  }
  for (const entry of entries) {
    if (SKIPPED.has(entry) || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, files);
    else if (/\.(?:[cm]?[jt]s|tsx)$/.test(entry) && !entry.endsWith('.d.ts') && !/\.test\.[cm]?[jt]sx?$/.test(entry)) files.push(path);
  }
  return files;
}

const quoted = /['"`]([a-z0-9-]+)['"`]/g;
const backendNamesIn = (text) => new Set([...text.matchAll(quoted)].map((m) => m[1]).filter((name) => names.has(name)));
const lineOf = (text, index) => text.slice(0, index).split('\n').length;

const violations = [];
let checked = 0;
for (const app of readdirSync(join(root, 'apps'))) {
  for (const file of walk(join(root, 'apps', app, 'src'), [])) {
    checked += 1;
    const path = relative(root, file).split('\\').join('/');
    const allowed = [...ALLOWED].filter(([prefix]) => path === prefix || path.startsWith(`${prefix}/`)).flatMap(([, what]) => what);
    const text = readFileSync(file, 'utf8');
    const found = [];
    // An array literal (no nested brackets) holding two or more backend names.
    for (const match of text.matchAll(/\[([^[\]]*)\]/g)) {
      const listed = backendNamesIn(match[1]);
      if (listed.size >= 2) found.push({ what: 'list', line: lineOf(text, match.index), text: `[${[...listed].join(', ')}]` });
    }
    // A union type of backend names: 'wasm' | 'cpu'.
    for (const match of text.matchAll(/['"`]([a-z0-9-]+)['"`]\s*\|\s*['"`]([a-z0-9-]+)['"`]/g)) {
      if (names.has(match[1]) && names.has(match[2])) found.push({ what: 'list', line: lineOf(text, match.index), text: match[0] });
    }
    for (const match of text.matchAll(/\bselectBackend\s*\(/g)) found.push({ what: 'selectBackend', line: lineOf(text, match.index), text: 'selectBackend(' });
    for (const violation of found) if (!allowed.includes(violation.what)) violations.push(`${path}:${violation.line}: ${violation.text}`);
  }
}

if (violations.length > 0) {
  console.error(`${violations.length} place(s) where an app declares its own backend choices:`);
  for (const violation of violations) console.error(`  ${violation}`);
  console.error(
    "Take the backend options from @flows/cli-kit: spread BACKEND_OPTIONS into the command's options and call startBackend(options, workPerStep); a page offers backendChoices('browser') of @flows/backends.",
  );
  process.exit(1);
}
console.log(`no app declares its own backend choices (${checked} files; backends: ${[...names].join(', ')})`);
