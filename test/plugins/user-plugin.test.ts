import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperiment } from '../../framework/config/load.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { Rng } from '../../framework/util/rng.js';

describe('a plugin of your own', () => {
  it('works as the README writes it', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const code = /```js\n(\/\/ my-answerer\.js[\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'the README has the my-answerer.js example').toBeDefined();
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
