import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperiment } from '../../framework/config/load.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { Rng } from '../../framework/util/rng.js';
import { runExperiment } from '../../framework/run/runner.js';
import { createProgress } from '../../framework/run/progress.js';

describe('a plugin of your own', () => {
  it('works as docs/plugins.md writes it', async () => {
    const readme = readFileSync('docs/plugins.md', 'utf8');
    const code = /```js\n(\/\/ my-answerer\.js[\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'docs/plugins.md has the my-answerer.js example').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-plugin-'));
    writeFileSync(join(dir, 'my-answerer.js'), code!);
    const file = join(dir, 'x.yaml');
    const e = await parseExperiment('name: x\nanswerer: ./my-answerer.js\nstages:\n  - evaluate: { games: 1 }\n', file);
    expect(e.answerer).toEqual({ use: join(dir, 'my-answerer.js'), with: { base: 'kb' }, label: 'colour-blind' });
    const factory = await PluginFactory.forDomain(e.domain, e.game, e.baseDir);
    const answerer = await factory.create('answerer', e.answerer);
    const zebra = factory.domain.candidate('zebra');
    const ask = (text: string, attribute: string) => answerer.answer({ kind: 'question', text, attribute }, zebra, [], new Rng(1));
    expect(await ask('Does it have stripes?', 'stripes')).toBe('unknown');
    expect(await ask('Is it a mammal?', 'mammal')).toBe('yes');
  });
});

describe('a plugin of your own in TypeScript', () => {
  it('is loaded as it is, in the main process and in the worker threads, and listed by its path', async () => {
    const e = await parseExperiment('name: ts\nanswerer: ./plugins/always-no.ts\nstages:\n  - evaluate: { games: 4, policies: [infogain] }\n', 'test/fixtures/ts.yaml');
    const result = await runExperiment(e, { workers: 2, runsDir: mkdtempSync(join(tmpdir(), 'twentyq-ts-')), progress: createProgress('silent') });
    const games = readFileSync(join(result.dir, '01-evaluate.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { turns: { move: { kind: string }; answer: string }[] });
    expect(games).toHaveLength(4);
    // every question answered no
    for (const g of games) for (const t of g.turns.filter((t) => t.move.kind === 'question')) expect(t.answer).toBe('no');
    // an option it does not take: the hint names the command that lists its options, by its path
    await expect(parseExperiment('name: ts\nanswerer: { use: ./plugins/always-no.ts, with: { word: maybe } }\nstages:\n  - evaluate: { games: 4 }\n', 'test/fixtures/ts.yaml')).rejects.toThrow(
      /answerer\.with\.word: .*\(options of answerer "always-no"; see twentyq plugins answerer test\/fixtures\/plugins\/always-no\.ts\)/,
    );
  });
});
