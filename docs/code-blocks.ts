/**
 * Reads the code of the repository's Markdown files, so that a test can run it.
 *
 * - TypeScript and JavaScript blocks (```ts, ```js) of one file form one program, in the order
 *   they appear: later blocks may use what earlier ones defined, as a reader would. A program that
 *   imports `vitest` (directly or through `@flows/bijectors/testing/vitest`) is a test file and runs
 *   under vitest; any other runs under Node.
 * - Command lines of the apps (`toy-flow train …`, `node apps/mnist-flow/dist/cli.js eval …`), in
 *   shell blocks and in inline code, are checked against the app's options (run with `--help`
 *   appended: the options are parsed, unknown ones rejected, nothing is trained).
 * - `pnpm <script>` and `pnpm --filter <package> <script>` lines must name scripts that exist.
 */
import { readFileSync } from 'node:fs';

export interface CodeBlock {
  language: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** Fenced code blocks of a Markdown text. */
export function fencedBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].trimStart().startsWith(open[2]); j++) body.push(lines[j]);
    blocks.push({ language: open[3].toLowerCase(), code: body.join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

const SCRIPT_LANGUAGES = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);

/** The program a file's TypeScript and JavaScript blocks make, or null when it has none. */
export function programOf(markdown: string): { code: string; isTest: boolean; blocks: number } | null {
  const blocks = fencedBlocks(markdown).filter((b) => SCRIPT_LANGUAGES.has(b.language));
  if (blocks.length === 0) return null;
  // The same import line in two blocks would declare its names twice in one module.
  const seenImports = new Set<string>();
  const parts = blocks.map((block) =>
    block.code
      .split('\n')
      .filter((line) => {
        if (!/^import\s/.test(line)) return true;
        if (seenImports.has(line.trim())) return false;
        seenImports.add(line.trim());
        return true;
      })
      .join('\n'),
  );
  const code = parts.join('\n\n');
  const isTest = /from\s+'(vitest|@flows\/bijectors\/testing\/vitest)'/.test(code);
  return { code, isTest, blocks: blocks.length };
}

export const APPS = ['toy-flow', 'mnist-flow', 'vae-eval'] as const;
export type AppName = (typeof APPS)[number];

export interface AppCommand {
  app: AppName;
  args: string[];
  /** The text as written, for messages. */
  text: string;
}

/** Splits a shell line into words (single and double quotes; no expansion). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const match of line.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3]);
  return words;
}

/** Shell lines of a text: continuations joined, comments and prompts removed. */
function shellLines(code: string): string[] {
  const joined = code.replace(/\\\n\s*/g, ' ');
  return joined
    .split('\n')
    .map((line) =>
      line
        .replace(/^\s*\$\s+/, '')
        .replace(/\s#.*$/, '')
        .trim(),
    )
    .filter((line) => line && !line.startsWith('#'));
}

/** App invocations in one shell line: `toy-flow train …`, `pnpm toy-flow train …`, `node apps/toy-flow/dist/cli.js train …`. */
export function appCommandsIn(line: string): AppCommand[] {
  const commands: AppCommand[] = [];
  for (const segment of line.split(/&&|\|\||;|\|/)) {
    const words = shellWords(segment.trim());
    const index = words.findIndex((word) => (APPS as readonly string[]).includes(word) || /^apps\/([\w-]+)\/dist\/cli\.js$/.test(word));
    if (index < 0) continue;
    const word = words[index];
    const app = ((APPS as readonly string[]).includes(word) ? word : /^apps\/([\w-]+)\//.exec(word)![1]) as AppName;
    if (!(APPS as readonly string[]).includes(app)) continue;
    // `pnpm --filter @flows/toy-flow toy-flow`: the word after --filter names the package, not the app.
    if (words[index - 1] === '--filter') continue;
    commands.push({ app, args: words.slice(index + 1), text: segment.trim() });
  }
  return commands;
}

/** Every app invocation of a Markdown text, in shell blocks and inline code. */
export function appCommandsOf(markdown: string): AppCommand[] {
  const commands: AppCommand[] = [];
  for (const block of fencedBlocks(markdown)) {
    if (SHELL_LANGUAGES.has(block.language)) for (const line of shellLines(block.code)) commands.push(...appCommandsIn(line));
  }
  const withoutBlocks = markdown.replace(/^(\s*)(`{3,})[\s\S]*?^\s*\2\s*$/gm, '');
  for (const match of withoutBlocks.matchAll(/`([^`\n]+)`/g)) {
    const text = match[1];
    if (/^(pnpm\s+)?(toy-flow|mnist-flow|vae-eval)\s+[a-z]/.test(text) || /^node apps\/[\w-]+\/dist\/cli\.js/.test(text)) commands.push(...appCommandsIn(text));
  }
  return commands;
}

export interface ScriptUse {
  /** Package directory relative to the root ('.' for the root). */
  packageName: string | null;
  script: string;
  text: string;
}

/** pnpm's own commands, which are not package scripts. */
const PNPM_BUILTINS = new Set([
  'install',
  'i',
  'add',
  'remove',
  'update',
  'exec',
  'dlx',
  'pack',
  'publish',
  'run',
  'docs',
  'why',
  'list',
  'ls',
  'outdated',
  'store',
  'init',
  'create',
  'link',
  'unlink',
  'rebuild',
  'prune',
  'audit',
  'config',
  'env',
  'setup',
  '-r',
  '--recursive',
]);

/** `pnpm <script>` and `pnpm --filter <package> <script>` in shell blocks and inline code. */
export function scriptUsesOf(markdown: string): ScriptUse[] {
  const uses: ScriptUse[] = [];
  const fromLine = (line: string) => {
    for (const segment of line.split(/&&|\|\||;|\|/)) {
      const words = shellWords(segment.trim());
      const at = words.indexOf('pnpm');
      if (at < 0 || words[at - 1] === '-g' || words.slice(0, at).includes('install')) continue;
      let rest = words.slice(at + 1);
      let packageName: string | null = null;
      if (rest[0] === '--filter') {
        packageName = rest[1];
        rest = rest.slice(2);
      }
      if (rest[0] === 'run') rest = rest.slice(1);
      const script = rest[0];
      if (!script || script.startsWith('-') || (PNPM_BUILTINS.has(script) && !packageName)) continue;
      uses.push({ packageName, script, text: segment.trim() });
    }
  };
  for (const block of fencedBlocks(markdown)) if (SHELL_LANGUAGES.has(block.language)) shellLines(block.code).forEach(fromLine);
  const withoutBlocks = markdown.replace(/^(\s*)(`{3,})[\s\S]*?^\s*\2\s*$/gm, '');
  for (const match of withoutBlocks.matchAll(/`(pnpm [^`\n]+)`/g)) fromLine(match[1]);
  return uses;
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
