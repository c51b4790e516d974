import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { BUILTINS } from '../../plugins/index.js';

// No file under framework/ names a particular plugin: it imports no module under plugins/ but the
// tables of what plugins contribute, and no path it builds or imports leads into a plugin's folder.
// (npm run deps holds the same line for imports, and the other: plugins import framework/plugin.ts only.)
const ROOT = resolve('.');
const TABLES = new Set(['plugins/index.ts', 'plugins/commands.ts']);
const FOLDERS = ['domains', 'answerers', 'policies', 'rewards', 'strategies'];

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|js)$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** Every module a file imports (static, dynamic, or re-exported), as written. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** What a file says that leads into a plugin's folder: an import resolving there, or a path naming it. */
function pluginReferences(file: string, text: string): string[] {
  const found: string[] = [];
  for (const spec of specifiers(text)) {
    if (!spec.startsWith('.')) continue;
    const target = relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts');
    if (target.startsWith('plugins/') && !TABLES.has(target)) found.push(`imports ${spec}`);
  }
  const folders = FOLDERS.join('|');
  for (const m of text.matchAll(new RegExp(`plugins['"]?\\s*[/,]\\s*['"]?(${folders})\\b[^\\n]*`, 'g'))) found.push(`names ${m[0].trim()}`);
  return found;
}

describe('the framework names no particular plugin', () => {
  const names = Object.values(BUILTINS).flatMap((table) => Object.keys(table));

  it('knows the built-in plugins it must not name', () => {
    expect(names).toEqual(expect.arrayContaining(['animals90', 'kb', 'trl', 'vllm', 'local', 'weighted-sft', 'grpo']));
  });

  it('no file under framework/ imports a plugin or builds a path into one', () => {
    const offences = sources('framework').flatMap((file) => pluginReferences(file, readFileSync(join(ROOT, file), 'utf8')).map((what) => `${file} ${what}`));
    expect(offences).toEqual([]);
  });

  it('catches what it looks for', () => {
    expect(pluginReferences('framework/cli/commands/x.ts', "import { buildTiny } from '../../../plugins/policies/trl/tiny.js';")).not.toEqual([]);
    expect(pluginReferences('framework/x.ts', "const x = await import('../plugins/strategies/grpo.js');")).not.toEqual([]);
    expect(pluginReferences('framework/x.ts', "const f = packagePath('plugins', 'policies', 'trl', 'requirements-cpu.txt');")).not.toEqual([]);
    expect(pluginReferences('framework/plugins/builtins.ts', "import { BUILTINS } from '../../plugins/index.js';")).toEqual([]);
    expect(pluginReferences('framework/llm/x.ts', "import { models } from './layer.js';")).toEqual([]);
  });
});
