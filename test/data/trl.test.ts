import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { renderGame, renderPrompt, systemPrompt } from '../../framework/game/chat.js';
import { parseMove } from '../../framework/game/parse.js';
import type { Move, Trajectory, Turn } from '../../framework/game/types.js';
import { checkTrl, toTrl, trlJsonl } from '../../plugins/policies/trl/rows.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { animals90 } from '../helpers.js';

const rules = { max_questions: 20, wrong_guess: 'continue' as const };
const domain = animals90();
const factory = new PluginFactory(domain, rules, process.cwd());
const q = (attribute: string): Move => ({ kind: 'question', text: domain.attributes[domain.attributeIndexOf(attribute)!]!.question, attribute });
const g = (candidate: string): Move => ({ kind: 'guess', text: `Is it a ${candidate}?`, candidate });

function game(id: number, target: string, moves: Move[]): Trajectory {
  const t = domain.candidateIndexOf(target)!;
  const turns: Turn[] = moves.map((move) => ({
    move,
    ...(move.kind === 'invalid' ? {} : { answer: move.kind === 'guess' ? (move.candidate === target ? 'yes' : 'no') : domain.fact(t, domain.attributeIndexOf(move.attribute!)!) }),
  }));
  const won = turns.at(-1)?.answer === 'yes' && moves.at(-1)?.kind === 'guess';
  return { game: id, seed: id, policy: 'hand', target, turns, outcome: won ? 'win' : 'loss', questions: turns.length, invalid: moves.filter((m) => m.kind === 'invalid').length };
}

/** Three games written by hand: the sample behind the fixtures in test/fixtures/trl/. */
const GAMES = [
  game(0, 'zebra', [q('mammal'), q('stripes'), g('zebra')]),
  game(1, 'zebra', [q('mammal'), q('fur'), { kind: 'invalid', text: 'Hmm, let me think.', reason: 'no question (a sentence ending in "?") and no guess found' }, q('stripes'), g('tiger'), g('zebra')]),
  game(2, 'lion', [q('bird'), q('africa'), g('lion')]),
];

async function exportAs(format: 'sft' | 'dpo' | 'grpo'): Promise<string> {
  if (format === 'grpo') return trlJsonl('grpo', toTrl({ kind: 'grpo', targets: ['zebra', 'lion'], stats: {} }, domain, rules, { show_candidates: false }));
  const strategy = await factory.create('strategy', format === 'sft' ? { use: 'weighted-sft', with: { win_within: 3, factor: 2 } } : { use: 'dpo', with: { kinds: ['divergence'], margin: 2 } });
  const set = await strategy.build(() => GAMES);
  return trlJsonl(format, toTrl(set, domain, rules, { show_candidates: false }));
}

describe('chat rendering', () => {
  it('states the rules and, unless told not to, the candidates', () => {
    const open = systemPrompt(domain, rules, { show_candidates: false });
    expect(open).toContain('I am thinking of an animal.');
    expect(open).toContain('A guess counts as one of your 20 questions; a wrong guess is answered "no" and the game goes on.');
    const closed = systemPrompt(domain, { max_questions: 10, wrong_guess: 'lose' }, { show_candidates: true });
    expect(closed).toContain('one of these 90 animals: dog, cat, horse,');
    expect(closed).toContain(', orca, ');
    expect(closed).toContain('one of your 10 questions; a wrong guess ends the game.');
  });

  it('renders a game as system, opening, then question / answer turns ending with the last move', () => {
    const messages = renderGame(domain, rules, GAMES[1]!, { show_candidates: false });
    expect(messages.map((m) => m.role).join(' ')).toBe('system user assistant user assistant user assistant user assistant user assistant user assistant');
    expect(messages.slice(2).map((m) => m.content)).toEqual([
      'Is it a mammal?',
      'Yes.',
      'Does it have fur?',
      'Yes.',
      'Hmm, let me think.',
      'That is not a yes/no question or a guess (no question (a sentence ending in "?") and no guess found). Ask one question.',
      'Does it have stripes?',
      'Yes.',
      'Is it a tiger?',
      'No.',
      'Is it a zebra?',
    ]);
  });

  it('round-trips: every assistant turn of a rendered game parses back to its move', () => {
    for (const game of GAMES) {
      const assistant = renderGame(domain, rules, game).filter((m) => m.role === 'assistant');
      game.turns.forEach((turn, i) => {
        const parsed = parseMove(assistant[i]!.content, domain);
        if (turn.move.kind === 'guess') expect(parsed).toMatchObject({ kind: 'guess', candidate: turn.move.candidate });
        else expect(parsed.kind).toBe(turn.move.kind);
      });
    }
  });

  it('ends a prompt with the answer to the last move', () => {
    const prompt = renderPrompt(domain, rules, GAMES[0]!.turns.slice(0, 2));
    expect(prompt.at(-1)).toEqual({ role: 'user', content: 'Yes.' });
  });
});

describe('TRL exports', () => {
  // The fixtures were written once with TWENTYQ_WRITE_FIXTURES=1 and then read line by line by a
  // person against TRL's dataset formats (docs/source/dataset_formats.md); see test/fixtures/trl/README.md.
  it.each(['sft', 'dpo', 'grpo'] as const)('%s matches the fixture checked by hand', async (format) => {
    const file = `test/fixtures/trl/${format}.jsonl`;
    if (process.env.TWENTYQ_WRITE_FIXTURES) writeFileSync(file, await exportAs(format));
    expect(await exportAs(format)).toBe(readFileSync(file, 'utf8'));
  });

  it('validates every row against its schema and the turn order', async () => {
    const good = {
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'u' },
        { role: 'assistant', content: 'a' },
      ],
    };
    expect(checkTrl('sft', good)).toBeUndefined();
    expect(checkTrl('sft', { messages: good.messages.slice(0, 2) })).toMatch(/expected at least 3 items/);
    expect(checkTrl('sft', { messages: [good.messages[0], good.messages[2], good.messages[1]] })).toBe('message 1 is from assistant, expected user');
    expect(checkTrl('sft', { ...good, weight: 2 })).toMatch(/unknown field "weight"/);
    expect(checkTrl('dpo', { prompt: good.messages.slice(0, 2), chosen: [{ role: 'assistant', content: 'x' }], rejected: [{ role: 'user', content: 'y' }] })).toMatch(/rejected\/0\/role/);
    expect(checkTrl('grpo', { prompt: good.messages.slice(0, 2) })).toMatch(/missing required field "target"/);
    await expect(trlJsonl('sft', [good as never, { messages: [] }])).rejects.toThrow(/TRL sft row 2 is not valid/);
  });
});
