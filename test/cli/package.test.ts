import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Trajectory } from '../../framework/game/types.js';

// A plugin written outside the repository, in TypeScript, against the packed package: what a user
// gets from `npm install twentyq` (npm test builds dist/ first; packing skips the build script).
const ROOT = resolve('.');
const BIN = join(ROOT, 'bin/run.js');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };

const PLUGIN = `import { definePlugin, parseMove, type GameView, type Move } from 'twentyq/plugin';

/** Asks the domain's questions in order until one animal is left, then guesses it. */
export default definePlugin<'policy', { from: number }>({
  kind: 'policy',
  name: 'in-order',
  description: 'Asks the attribute questions in the order of the domain (an out-of-tree test plugin).',
  options: { type: 'object', additionalProperties: false, properties: { from: { type: 'integer', minimum: 0, default: 0 } } },
  create({ from }, { domain }) {
    const consistent = (view: GameView) =>
      domain.candidates.filter((c, i) =>
        view.turns.every((t) => t.move.kind !== 'question' || t.answer === 'unknown' || domain.fact(i, domain.attributeIndexOf(t.move.attribute!)!) === t.answer),
      ).filter((c) => !view.turns.some((t) => t.move.kind === 'guess' && t.move.candidate === c.id));
    return {
      act: (views: readonly GameView[]): Move[] =>
        views.map((view) => {
          const left = consistent(view);
          const asked = view.turns.filter((t) => t.move.kind === 'question').length;
          const attribute = domain.attributes[from + asked];
          if (left.length === 1 || attribute === undefined) return parseMove(\`Is it \${left[0]!.name}?\`, domain);
          return { kind: 'question', text: attribute.question, attribute: attribute.id };
        }),
    };
  },
});
`;

function tsc(dir: string) {
  return spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
}

describe('the packed package', () => {
  it('exports twentyq/plugin with its types: an out-of-tree TypeScript plugin compiles against it and plays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-package-'));
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/framework/plugin.d.ts');
    expect(files.some((f) => f.startsWith('test/'))).toBe(false);
    // installed as npm would: the tarball's package/ folder as node_modules/twentyq
    const installed = join(dir, 'project', 'node_modules', 'twentyq');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', join(dir, packed[0]!.filename), '-C', installed, '--strip-components=1']);
    // and its dependencies beside it, as npm would: the public entry declares options with TypeBox
    mkdirSync(join(dir, 'project', 'node_modules', '@sinclair'));
    symlinkSync(join(ROOT, 'node_modules', '@sinclair', 'typebox'), join(dir, 'project', 'node_modules', '@sinclair', 'typebox'));

    const project = join(dir, 'project');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-plugins', type: 'module', private: true }));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: [] }, include: ['*.ts'] }),
    );
    writeFileSync(join(project, 'in-order.ts'), PLUGIN);
    // the README's example too
    const readme = /```ts\n(import \{ definePlugin[\s\S]*?)```/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))?.[1];
    expect(readme, 'the README has a TypeScript plugin example').toBeDefined();
    writeFileSync(join(project, 'opener.ts'), readme!);
    const built = tsc(project);
    expect(built.stdout + built.stderr).toBe('');
    expect(built.status).toBe(0);

    // the types are real: a policy that returns numbers for moves does not compile
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(broken, 'tsconfig.json'), readFileSync(join(project, 'tsconfig.json')));
    writeFileSync(join(broken, 'bad.ts'), `import { definePlugin } from 'twentyq/plugin';\nexport default definePlugin({ kind: 'policy', name: 'bad', description: '', options: {}, create: () => ({ act: () => [1, 2] }) });\n`);
    execFileSync('ln', ['-s', join(project, 'node_modules'), join(broken, 'node_modules')]);
    const bad = tsc(broken);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.ts.*error TS2322/);

    // and the compiled plugin plays in an experiment, loaded by path as any user plugin
    writeFileSync(join(project, 'x.yaml'), 'name: out-of-tree\nseed: 2\npolicy: ./in-order.js\nstages:\n  - evaluate: { games_per_animal: 1 }\n');
    const run = spawnSync(process.execPath, [BIN, 'run', join(project, 'x.yaml'), '--out', join(dir, 'runs'), '--progress', 'none'], { env, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const runDir = join(dir, 'runs', 'out-of-tree', readdirSync(join(dir, 'runs', 'out-of-tree'))[0]!);
    const games = readFileSync(join(runDir, '01-evaluate.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Trajectory);
    expect(games).toHaveLength(90);
    expect(games[0]!.turns[0]!.move).toEqual({ kind: 'question', text: 'Is it a mammal?', attribute: 'mammal' });
    // every game asks the domain's questions in order, and the guesses it makes win some games
    const order = games[0]!.turns.filter((t) => t.move.kind === 'question').map((t) => (t.move as { attribute: string }).attribute);
    for (const g of games) {
      const asked = g.turns.filter((t) => t.move.kind === 'question').map((t) => (t.move as { attribute: string }).attribute);
      expect(asked.every((a, i) => a === order[i] || i >= order.length)).toBe(true);
    }
    expect(games.some((g) => g.outcome === 'win')).toBe(true);
  });
});
