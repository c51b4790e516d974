import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Trajectory } from '../../framework/game/types.js';
import { animals90 } from '../helpers.js';

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

// A strategy with a training job of a kind twentyq does not know, and a backend that trains it: both
// out of tree, with no framework edit (a KTO or RLOO strategy is the same shape, with more maths).
const STRATEGY = `import { collect, defaulted, definePlugin, stageTraining, Type, type StageTraining, type TrainingSet, type TrainJob, type Trajectory } from 'twentyq/plugin';

/** The first questions of the winning games, counted: what the learner learns its opening from. */
export interface OpenerJob extends TrainJob {
  kind: 'opener';
  counts: Record<string, number>;
  options: StageTraining & { seed: number; min_wins: number };
}

function openers(games: readonly Trajectory[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const g of games) {
    const first = g.turns[0]?.move;
    if (g.outcome === 'win' && first?.kind === 'question' && first.attribute !== undefined) counts[first.attribute] = (counts[first.attribute] ?? 0) + 1;
  }
  return counts;
}

export default definePlugin({
  kind: 'strategy',
  name: 'opener',
  description: 'Learns the opening question of the winning games (an out-of-tree strategy).',
  options: Type.Object({ min_wins: defaulted(Type.Integer({ minimum: 1, default: 1 })) }, { additionalProperties: false }),
  create({ min_wins }) {
    return {
      async build(games) {
        const counts = openers(await collect(games()));
        return { kind: 'opener', counts, stats: { openers: Object.keys(counts).length } } satisfies TrainingSet;
      },
      async train(policy, env) {
        if (!policy.jobs.includes('opener')) throw new Error(\`the policy trains \${policy.jobs.join(', ')} jobs, not opener\`);
        const job: OpenerJob = { kind: 'opener', counts: openers(await collect(env.games())), options: { ...stageTraining(env), min_wins } };
        env.log(await policy.train(job));
      },
    };
  },
});
`;

const LEARNER = `import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { definePlugin, isJob, Type, type Move, type Policy, type TrainablePolicy, type TrainJob } from 'twentyq/plugin';
import type { OpenerJob } from './first-question-strategy.js';

export default definePlugin({
  kind: 'policy',
  name: 'first-question',
  description: 'Opens with the question it learnt, then plays as infogain (an out-of-tree trainable policy).',
  trainable: true,
  options: Type.Object({ opener: Type.Optional(Type.String()), checkpoint: Type.Optional(Type.String({ 'x-file': true })) }, { additionalProperties: false }),
  async create(options, context) {
    const rest: Policy = await context.create('policy', 'infogain');
    let opener: string | null = options.checkpoint ? (JSON.parse(readFileSync(resolve(context.baseDir, options.checkpoint), 'utf8')) as { opener: string | null }).opener : (options.opener ?? null);
    const learner: TrainablePolicy = {
      jobs: ['opener'],
      async act(views) {
        const moves = await rest.act(views);
        const attribute = context.domain.attributes.find((a) => a.id === opener);
        return views.map((view, i): Move => (view.turns.length === 0 && attribute ? { kind: 'question', text: attribute.question, attribute: attribute.id } : moves[i]!));
      },
      async train(job: TrainJob) {
        if (!isJob<OpenerJob>(job, 'opener')) throw new Error(\`the first-question policy trains opener jobs, not \${job.kind}\`);
        const best = Object.entries(job.counts).filter(([, n]) => n >= job.options.min_wins).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
        opener = best?.[0] ?? null;
        return { openers: Object.keys(job.counts).length, wins: best?.[1] ?? 0 };
      },
      exportState: () => opener,
      importState: (state) => void (opener = state as string | null),
      save: (file, note) => writeFileSync(file, JSON.stringify({ opener, ...note }) + '\\n'),
    };
    return learner;
  },
});
`;

// A stage-free plugin out of tree: an answerer built on the kb answerer it creates through its context.
const ANSWERER = `import { definePlugin, Type, type Answer } from 'twentyq/plugin';

export default definePlugin({
  kind: 'answerer',
  name: 'never-unknown',
  description: 'The kb answerer, saying no where kb would say unknown (an out-of-tree answerer).',
  options: Type.Object({}, { additionalProperties: false }),
  async create(_options, context) {
    const kb = await context.create('answerer', 'kb');
    return {
      async answer(question, target, history, rng): Promise<Answer> {
        const said = await kb.answer(question, target, history, rng);
        const answer = typeof said === 'string' ? said : said.answer;
        return answer === 'unknown' ? 'no' : answer;
      },
    };
  },
});
`;

function tsc(dir: string) {
  return spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
}

/** The packed package installed in a temporary project as npm would: the tarball's package/ folder as node_modules/twentyq. */
interface Installed {
  dir: string;
  project: string;
  files: string[];
}

function installPacked(): Installed {
  const dir = mkdtempSync(join(tmpdir(), 'twentyq-package-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
  const project = join(dir, 'project');
  const installed = join(project, 'node_modules', 'twentyq');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, packed[0]!.filename), '-C', installed, '--strip-components=1']);
  // and its dependencies beside it, as npm would (the public entry reaches the model layer, the CLI base, TypeBox)
  const dependencies = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  for (const name of dependencies) {
    mkdirSync(dirname(join(project, 'node_modules', name)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), join(project, 'node_modules', name));
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-plugins', type: 'module', private: true, dependencies: { twentyq: `file:../${packed[0]!.filename}` } }));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: [] }, include: ['*.ts'] }));
  return { dir, project, files: packed[0]!.files.map((f) => f.path) };
}

/** Runs an experiment file of the project with the twentyq CLI; returns its run directory. */
function runExperiment({ dir, project }: Installed, name: string, yaml: string): string {
  writeFileSync(join(project, `${name}.yaml`), yaml);
  const run = spawnSync(process.execPath, [BIN, 'run', join(project, `${name}.yaml`), '--out', join(dir, 'runs'), '--progress', 'none'], { env, encoding: 'utf8', timeout: 120_000 });
  expect(run.status, run.stderr).toBe(0);
  return join(dir, 'runs', name, readdirSync(join(dir, 'runs', name))[0]!);
}

const gamesOf = (runDir: string, file: string) =>
  readFileSync(join(runDir, file), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Trajectory);

describe('the packed package', () => {
  let pkg: Installed;
  beforeAll(() => {
    pkg = installPacked();
  });

  it('exports twentyq/plugin with its types: an out-of-tree TypeScript plugin compiles against it and plays', () => {
    const { dir, project, files } = pkg;
    expect(files).toContain('dist/framework/plugin.d.ts');
    expect(files.some((f) => f.startsWith('test/'))).toBe(false);
    writeFileSync(join(project, 'in-order.ts'), PLUGIN);
    // the example of docs/plugins.md too
    const readme = /```ts\n(import \{ definePlugin[\s\S]*?)```/.exec(readFileSync(join(ROOT, 'docs/plugins.md'), 'utf8'))?.[1];
    expect(readme, 'docs/plugins.md has a TypeScript plugin example').toBeDefined();
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
    const runDir = runExperiment(pkg, 'out-of-tree', 'name: out-of-tree\nseed: 2\npolicy: ./in-order.js\nstages:\n  - evaluate: { games_per_animal: 1 }\n');
    const games = gamesOf(runDir, '01-evaluate.jsonl');
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
  it('an out-of-tree strategy with a job kind of its own trains an out-of-tree policy in an experiment', () => {
    const { project } = pkg;
    writeFileSync(join(project, 'first-question-strategy.ts'), STRATEGY);
    writeFileSync(join(project, 'first-question.ts'), LEARNER);
    const built = tsc(project);
    expect(built.stdout + built.stderr).toBe('');
    const runDir = runExperiment(
      pkg,
      'out-of-tree-strategy',
      [
        'name: out-of-tree-strategy',
        'seed: 3',
        'policy: { use: ./first-question.js, with: { opener: swims } }',
        'stages:',
        '  - generate: { name: teacher, policy: { use: infogain, with: { epsilon: 0.6 } }, games_per_animal: 2 }',
        '  - evaluate: { name: before, games_per_animal: 1 }',
        '  - train: { name: learn, strategy: ./first-question-strategy.js }',
        '  - evaluate: { name: after, games_per_animal: 1 }',
        '',
      ].join('\n'),
    );
    // what the strategy should learn: the most frequent opening of the teacher's winning games
    const counts = new Map<string, number>();
    for (const g of gamesOf(runDir, 'teacher.jsonl')) {
      const first = g.turns[0]!.move;
      if (g.outcome === 'win' && first.kind === 'question' && first.attribute) counts.set(first.attribute, (counts.get(first.attribute) ?? 0) + 1);
    }
    const [expected, wins] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
    expect(expected).not.toBe('swims');
    const opening = (file: string) => new Set(gamesOf(runDir, file).map((g) => (g.turns[0]!.move as { attribute?: string }).attribute));
    expect(opening('before.jsonl')).toEqual(new Set(['swims']));
    expect(opening('after.jsonl')).toEqual(new Set([expected]));
    expect(JSON.parse(readFileSync(join(runDir, 'learn.ckpt.json'), 'utf8'))).toMatchObject({ opener: expected, stage: 'learn' });
    const metrics = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')) as { stages: Record<string, Record<string, unknown>> };
    expect(metrics.stages.learn).toMatchObject({ openers: counts.size, wins });
  });

  it('an out-of-tree answerer compiles against the package and answers in an experiment', () => {
    const { project } = pkg;
    writeFileSync(join(project, 'never-unknown.ts'), ANSWERER);
    const built = tsc(project);
    expect(built.stdout + built.stderr).toBe('');
    const runDir = runExperiment(pkg, 'out-of-tree-answerer', 'name: out-of-tree-answerer\nseed: 4\nanswerer: ./never-unknown.js\npolicy: random\nstages:\n  - evaluate: { games_per_animal: 1 }\n');
    const domain = animals90();
    let unknownFacts = 0;
    for (const g of gamesOf(runDir, '01-evaluate.jsonl')) {
      for (const t of g.turns) {
        expect(t.answer).not.toBe('unknown');
        if (t.move.kind !== 'question' || t.move.attribute === undefined) continue;
        const fact = domain.fact(domain.candidateIndexOf(g.target)!, domain.attributeIndexOf(t.move.attribute)!);
        if (fact === 'unknown') {
          unknownFacts++;
          expect(t.answer).toBe('no');
        } else expect(t.answer).toBe(fact);
      }
    }
    expect(unknownFacts).toBeGreaterThan(0);
  });
});
