import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../framework/config/errors.js';
import { loadExperiment } from '../../framework/config/load.js';

const dir = 'test/fixtures/broken';

async function problems(file: string, set: string[] = []): Promise<string[]> {
  try {
    await loadExperiment(file, { set });
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error(`${file} loaded without a problem`);
}

describe('broken experiment files', () => {
  const table: [string, string[]][] = [
    ['syntax.yaml', [`${dir}/syntax.yaml:4:1: YAML syntax: Flow map in block collection must be sufficiently indented and end with a }`]],
    ['unknown-stage.yaml', [`${dir}/unknown-stage.yaml:3:5: stages[0].evalute: unknown stage "evalute"; did you mean "evaluate"? Expected one of: generate, audit, dataset, evaluate, train`]],
    [
      'unknown-policy.yaml',
      [
        `${dir}/unknown-policy.yaml:2:9: policy: unknown policy "infogian"; did you mean "infogain"? Known policies: api, checklist, infogain, local, mixture, optimal, random, trl, vllm. A plugin of your own is named by its file path, e.g. ./my-policy.js`,
      ],
    ],
    [
      'types.yaml',
      [
        `${dir}/types.yaml:2:7: seed: expected a number >= 0, got -1`,
        `${dir}/types.yaml:3:24: game.max_questions: expected integer, got "ten"`,
        `${dir}/types.yaml:3:42: game.wrong_guess: expected one of "continue", "lose", got "los"`,
        `${dir}/types.yaml:5:24: stages[0].evaluate.games: expected a number >= 1, got 0`,
      ],
    ],
    [
      'options.yaml',
      [
        `${dir}/options.yaml:6:45: stages[0].evaluate.policies[0].with.epsilon: expected a number <= 1, got 2 (options of policy "infogain"; see twentyq plugins policy)`,
        `${dir}/options.yaml:6:48: stages[0].evaluate.policies[0].with.epsilom: unknown field "epsilom"; did you mean "epsilon"? Expected fields: epsilon, temperature, unknown (options of policy "infogain"; see twentyq plugins policy)`,
      ],
    ],
    ['missing.yaml', [`${dir}/missing.yaml:1:1: missing required field "name"`, `${dir}/missing.yaml:2:9: stages: expected at least 1 item`]],
    [
      'stage-rules.yaml',
      [
        `${dir}/stage-rules.yaml:4:14: stages[0].evaluate.games: set games or games_per_animal, not both`,
        `${dir}/stage-rules.yaml:6:26: stages[0].evaluate.policies[1]: two policies are labelled "random"; give one a label: (label: my-name)`,
      ],
    ],
    ['duplicate-key.yaml', [`${dir}/duplicate-key.yaml:3:1: YAML syntax: Map keys must be unique`]],
    ['plugin-file.yaml', [`${dir}/plugin-file.yaml:2:18: answerer.use: answerer plugin file not found: ${resolve(dir, 'no-such-answerer.js')}`]],
    [
      'two-stages-in-one.yaml',
      [
        `${dir}/two-stages-in-one.yaml:3:5: stages[0]: a stage is a map with exactly one key (its kind); start each stage with its own "- "`,
        `${dir}/two-stages-in-one.yaml:4:5: stages[0].report: unknown stage "report". Expected one of: generate, audit, dataset, evaluate, train`,
      ],
    ],
    ['not-a-map.yaml', [`${dir}/not-a-map.yaml:1:1: expected a map with at least name: and stages: (see experiments/quickstart.yaml)`]],
    ['unknown-field.yaml', [`${dir}/unknown-field.yaml:2:1: polcy: unknown field "polcy"; did you mean "policy"? Expected fields: name, description, seed, domain, game, answerer, policy, reward, stages, report`]],
    ['indentation.yaml', [`${dir}/indentation.yaml:5:6: YAML syntax: All mapping items must start at the same column`]],
    ['billion-laughs.yaml', [`${dir}/billion-laughs.yaml:5:8: YAML aliases here expand to too many copies of their anchors (a "billion laughs" file); write the values out, or use fewer aliases`]],
    ['latin1.yaml', [`${dir}/latin1.yaml:2:18: the file is not UTF-8: byte 0xe9 is not valid UTF-8 here (Latin-1 text?); save the file as UTF-8`]],
    [
      'stage-names.yaml',
      [
        `${dir}/stage-names.yaml:5:20: stages[1].train.name: a train stage named "t" would write t.curve.jsonl, which stage "t.curve" (stages[0]) writes too; choose another name`,
        `${dir}/stage-names.yaml:6:20: stages[2].audit.name: a stage named "metrics" would write metrics.json, one of the run's own files (config.yaml, run.json, metrics.json, domain.json, summary.txt, run.lock, report.html, usage.jsonl); choose another name`,
        `${dir}/stage-names.yaml:7:20: stages[3].audit.name: a stage named "Run" would write Run.json, one of the run's own files (config.yaml, run.json, metrics.json, domain.json, summary.txt, run.lock, report.html, usage.jsonl); choose another name`,
        `${dir}/stage-names.yaml:8:23: stages[4].evaluate.name: "T.CURVE" differs from the name of stage "t.curve" (stages[0]) only in case, which some file systems ignore; choose another name`,
      ],
    ],
    [
      'stage-name-path.yaml',
      [
        `${dir}/stage-name-path.yaml:3:23: stages[0].evaluate.name: expected text matching ^[A-Za-z0-9][A-Za-z0-9._-]*$, got "../escape" (Names the stage's files, <name>.jsonl and the like: letters, digits, dot, dash, underscore, starting with a letter or digit; defaults to <index>-<kind>.)`,
        `${dir}/stage-name-path.yaml:4:23: stages[1].evaluate.name: expected text matching ^[A-Za-z0-9][A-Za-z0-9._-]*$, got ".hidden" (Names the stage's files, <name>.jsonl and the like: letters, digits, dot, dash, underscore, starting with a letter or digit; defaults to <index>-<kind>.)`,
      ],
    ],
    ['sizes.yaml', [`${dir}/sizes.yaml:3:24: stages[0].generate.games: expected a number <= 10000000, got 1000000000000`, `${dir}/sizes.yaml:4:37: stages[1].generate.weights.giraffe: expected a number <= 1000000, got 1e+308`]],
    [
      'stage-total.yaml',
      [
        `${dir}/stage-total.yaml:2:40: policy.with.hidden[0]: expected a number <= 8192, got 100000000 (options of policy "local"; see twentyq plugins policy)`,
        `${dir}/stage-total.yaml:4:35: stages[0].generate.games_per_animal: this stage would play games_per_animal 1000 x 90 candidates (weighted): 20,089,000 games is more than the limit of 10,000,000 games per stage; split the work into several stages or runs`,
        `${dir}/stage-total.yaml:5:24: stages[1].evaluate.games: this stage would play games 4000000 x 3 policies: 12,000,000 games is more than the limit of 10,000,000 games per stage; split the work into several stages or runs`,
        `${dir}/stage-total.yaml:6:57: stages[2].train.strategy.with.group_size: expected a number <= 256, got 100000 (options of strategy "grpo"; see twentyq plugins strategy)`,
        `${dir}/stage-total.yaml:6:77: stages[2].train.strategy.with.iterations: expected a number <= 1000000, got 1000000000 (options of strategy "grpo"; see twentyq plugins strategy)`,
        `${dir}/stage-total.yaml:7:61: stages[3].train.strategy.with.factor: expected a number <= 1000, got 1000000000 (options of strategy "weighted-sft"; see twentyq plugins strategy)`,
      ],
    ],
    [
      'untrainable.yaml',
      [
        `${dir}/untrainable.yaml:5:12: stages[1].train: the experiment's policy infogain cannot be trained; a train stage needs a trainable one (local, trl), e.g. policy: { use: local }`,
        `${dir}/untrainable.yaml:8:45: stages[2].evaluate.policies[0].with.checkpoint: file not found: ${resolve(dir, 'no-such.ckpt.json')} (a relative path is relative to the experiment file)`,
      ],
    ],
    ['seed.yaml', [`${dir}/seed.yaml:2:7: seed: expected a number <= 9007199254740991, got Infinity`]],
    ['wrong-kind.yaml', [`${dir}/wrong-kind.yaml:2:9: policy: always-yes.js is a answerer plugin, but it is used here as a policy`]],
  ];

  it.each(table)('%s', async (file, expected) => {
    expect(await problems(`${dir}/${file}`)).toEqual(expected);
  });

  it('reports every problem in one pass, in file order: fields, plugin names, plugin options', async () => {
    expect(await problems(`${dir}/one-pass.yaml`)).toEqual([
      `${dir}/one-pass.yaml:4:1: colour: unknown field "colour". Expected fields: name, description, seed, domain, game, answerer, policy, reward, stages, report`,
      `${dir}/one-pass.yaml:5:9: policy: unknown policy "infogian"; did you mean "infogain"? Known policies: api, checklist, infogain, local, mixture, optimal, random, trl, vllm. A plugin of your own is named by its file path, e.g. ./my-policy.js`,
      `${dir}/one-pass.yaml:8:14: stages[0].evaluate.games: expected integer, got "ten"`,
      `${dir}/one-pass.yaml:9:52: stages[0].evaluate.policies[0].with.epsilon: expected a number <= 1, got 2 (options of policy "infogain"; see twentyq plugins policy)`,
      `${dir}/one-pass.yaml:10:63: stages[1].generate.policy.with.temperature: expected a number >= 0, got -1 (options of policy "infogain"; see twentyq plugins policy)`,
    ]);
  });

  it('refuses a file over the size limit before parsing it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'twentyq-config-')), 'huge.yaml');
    writeFileSync(file, 'name: huge\nstages:\n  - evaluate: { games: 1 }\n' + '# padding\n'.repeat(120_000));
    const started = performance.now();
    expect(await problems(file)).toEqual([`${file}: the experiment file is 1.1 MB; the limit is 1 MB (an experiment is a few kilobytes of YAML: keep data in files that its plugins read)`]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('says so when the file cannot be read', async () => {
    expect(await problems(`${dir}/nowhere.yaml`)).toEqual([`${dir}/nowhere.yaml: cannot read the experiment file (ENOENT)`]);
  });
});

describe('loading an experiment', () => {
  it('fills in every default and resolves every plugin', async () => {
    const e = await loadExperiment('experiments/quickstart.yaml');
    expect(e.name).toBe('quickstart');
    expect(e.game).toEqual({ max_questions: 20, wrong_guess: 'continue' });
    expect(e.answerer).toEqual({ use: 'kb', with: { threshold: 0.6, unknown: 'say' }, label: 'kb' });
    expect(e.reward).toEqual({ use: 'efficiency', with: { loss: -0.5 }, label: 'efficiency' });
    expect(e.stages).toHaveLength(1);
    const [stage] = e.stages;
    expect(stage).toMatchObject({ kind: 'evaluate', name: '01-evaluate', games_per_animal: 10 });
    if (stage?.kind !== 'evaluate') throw new Error('expected an evaluate stage');
    expect(stage.policies!.map((p) => p.label)).toEqual(['random', 'infogain', 'infogain-noisy']);
    expect(stage.policies![2]!.with).toEqual({ epsilon: 0.3, temperature: 0.5, unknown: 'auto' });
  });

  it('applies --set overrides before validation, a bare plugin name growing into { use }', async () => {
    const e = await loadExperiment('experiments/quickstart.yaml', {
      set: ['seed=9', 'stages.0.evaluate.games_per_animal=2', 'answerer.with.threshold=0.4', 'game.wrong_guess=lose'],
    });
    expect(e.seed).toBe(9);
    expect(e.stages[0]).toMatchObject({ games_per_animal: 2 });
    expect(e.answerer.with).toEqual({ threshold: 0.4, unknown: 'say' });
    expect(e.game.wrong_guess).toBe('lose');
  });

  it('keeps every bit of a seed up to 2^53 - 1', async () => {
    expect((await loadExperiment('experiments/quickstart.yaml', { set: ['seed=4294967297'] })).seed).toBe(4294967297);
    expect(await problems('experiments/quickstart.yaml', ['seed=9007199254740992'])).toEqual(['--set seed=9007199254740992: seed: expected a number <= 9007199254740991, got 9007199254740992']);
  });

  it('places a problem in a --set value at the --set', async () => {
    expect(await problems('experiments/quickstart.yaml', ['stages.0.evaluate.games_per_animal=abc'])).toEqual(['--set stages.0.evaluate.games_per_animal=abc: stages[0].evaluate.games_per_animal: expected integer, got "abc"']);
    expect(await problems('experiments/quickstart.yaml', ['stages.5.evaluate.games=3'])).toEqual(['--set stages.5.evaluate.games=3: stages has 1 item (stages.0); there is no stages.5']);
    expect(await problems('experiments/quickstart.yaml', ['seed.x=3'])).toEqual(['--set seed.x=3: seed is a single value, not a map or list: there is no seed.x to set']);
    expect(await problems('experiments/quickstart.yaml', ['seed'])).toEqual(['--set seed: expected path=value, e.g. --set seed=3 or --set stages.0.evaluate.games=50']);
  });

  it('resolves paths given with --set against the current directory, and makes them absolute', async () => {
    const e = await loadExperiment('experiments/quickstart.yaml', {
      set: ['answerer=./test/fixtures/plugins/always-yes.js', 'policy=local', 'policy.with.checkpoint=test/fixtures/mini-pipeline.yaml'],
    });
    expect(e.answerer.use).toBe(resolve('test/fixtures/plugins/always-yes.js'));
    expect(e.policy.with.checkpoint).toBe(resolve('test/fixtures/mini-pipeline.yaml'));
    expect(await problems('experiments/quickstart.yaml', ['policy=local', 'policy.with.checkpoint=nowhere.ckpt.json'])).toEqual([
      `--set policy.with.checkpoint=nowhere.ckpt.json: policy.with.checkpoint: file not found: ${resolve('nowhere.ckpt.json')} (a relative path is relative to the current directory, as for every path given with --set)`,
    ]);
  });

  it('loads a user plugin by its path, relative to the experiment file', async () => {
    const e = await loadExperiment('test/fixtures/user-plugin.yaml');
    expect(e.answerer).toEqual({ use: resolve('test/fixtures/plugins/always-yes.js'), with: { word: 'yes' }, label: 'yes-man' });
  });
});
