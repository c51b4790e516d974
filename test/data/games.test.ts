import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, jsonlLines, readGames } from '../../framework/data/games.js';
import type { Trajectory } from '../../framework/game/types.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-games-'));

function game(i: number, target = 'zebra'): Trajectory {
  return {
    game: i,
    seed: 1000 + i,
    policy: 'test',
    target,
    turns: [
      { move: { kind: 'question', text: 'Is it a mammal? — ça va', attribute: 'mammal' }, answer: 'yes' },
      { move: { kind: 'guess', text: `Is it a ${target}?`, candidate: target }, answer: 'yes' },
    ],
    outcome: 'win',
    questions: 2,
    invalid: 0,
    reward: 0.9,
  };
}

function fileOf(lines: readonly unknown[], end = '\n'): string {
  const file = join(tmp(), 'games.jsonl');
  writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + end);
  return file;
}

describe('the streaming games reader', () => {
  it('reads a file many times its chunk size, lines and multi-byte characters split across chunks, with their byte places', async () => {
    const games = Array.from({ length: 200 }, (_, i) => game(i, i % 2 === 0 ? 'zebra' : 'lion'));
    const file = fileOf(games);
    for (const chunk of [7, 64, 333, 1 << 20]) expect(await collect(readGames(file, {}, chunk)), `chunk ${chunk}`).toEqual(games);
    const lines = await collect(jsonlLines(file, 50));
    expect(lines).toHaveLength(200);
    const size = (g: Trajectory) => Buffer.byteLength(JSON.stringify(g) + '\n');
    expect(lines[1]).toMatchObject({ number: 2, start: size(games[0]!), end: size(games[0]!) + size(games[1]!), complete: true });
  });

  it('streams: a game arrives before the lines below it are read', async () => {
    const file = fileOf([game(0), ...Array.from({ length: 2000 }, (_, i) => game(i + 1)), 'not json']);
    const reader = readGames(file, {}, 4096)[Symbol.asyncIterator]();
    expect((await reader.next()).value).toEqual(game(0));
    await reader.return?.(undefined);
    await expect(collect(readGames(file, {}, 4096))).rejects.toThrow(/games\.jsonl:2002: not JSON/);
  });

  it('marks a last line without a newline, and reads it when it is a whole game', async () => {
    const file = fileOf([game(0), game(1)], '');
    expect((await collect(jsonlLines(file))).map((l) => l.complete)).toEqual([true, false]);
    expect(await collect(readGames(file))).toEqual([game(0), game(1)]);
    const cut = fileOf([game(0), JSON.stringify(game(1)).slice(0, 30)], '');
    await expect(collect(readGames(cut))).rejects.toThrow(/games\.jsonl:2: not JSON .*the last line is cut short.*resume the run to drop it, or delete the line/);
  });

  it('accepts what a model said and its usage on moves and answers, and failed games', async () => {
    const usage = { prompt_tokens: 120, completion_tokens: 9, latency_ms: 31.5, cached: true };
    const said: Trajectory = {
      ...game(0),
      turns: [
        { move: { kind: 'question', text: 'Is it a mammal?', raw: '<think>hm</think>Is it a mammal?', usage }, answer: 'yes', answer_raw: 'Yes!', answer_usage: { ...usage, cached: false } },
        { move: { kind: 'invalid', text: 'uh', reason: 'no question', raw: 'uh', usage } },
        { move: { kind: 'guess', text: 'Is it a zebra?', candidate: 'zebra', raw: 'Is it a zebra?', usage }, answer: 'yes' },
      ],
      questions: 3,
      invalid: 1,
    };
    const failed: Trajectory = { game: 1, seed: 1, policy: 'test', target: 'zebra', turns: [], outcome: 'error', questions: 0, invalid: 0, error: '01-evaluate: policy api failed in game 1: 503' };
    expect(await collect(readGames(fileOf([said, failed])))).toEqual([said, failed]);
  });

  it('checks every field readers rely on, naming the file, the line and what is wrong', async () => {
    const { questions: _q, ...noQuestions } = game(2);
    const cases: [unknown, RegExp][] = [
      [{ ...game(2), turns: [{ move: null, answer: 'yes' }] }, /turns\[0\]\.move is null, expected \{kind, text\}/],
      [noQuestions, /questions is missing, expected the number of questions asked/],
      [{ ...game(2), turns: [{ move: { kind: 'question' }, answer: 'yes' }] }, /turns\[0\]\.move\.text is missing, expected a string/],
      [{ ...game(2), turns: [{ move: { kind: 'ask', text: 'Is it?' } }] }, /turns\[0\]\.move\.kind is "ask", expected one of question, guess, invalid/],
      [{ ...game(2), turns: [{ move: { kind: 'guess', text: 'Is it a lion?' }, answer: 'no' }] }, /turns\[0\]\.move is a guess without a candidate/],
      [{ ...game(2), turns: [game(2).turns[0], { ...game(2).turns[1], answer: 'maybe' }] }, /turns\[1\]\.answer is "maybe", expected one of yes, no, unknown/],
      [{ ...game(2), outcome: 'draw' }, /outcome is "draw", expected "win", "loss" or "error"/],
      [{ ...game(2), outcome: 'error' }, /error is missing, expected the message of the failure/],
      [{ ...game(2), error: 'boom' }, /error is "boom", expected nothing \(only a game whose outcome is "error" has one\)/],
      [{ ...game(2), turns: [{ ...game(2).turns[0]!, move: { ...game(2).turns[0]!.move, raw: 7 } }] }, /turns\[0\]\.move\.raw is 7, expected a string/],
      [{ ...game(2), turns: [{ ...game(2).turns[0]!, answer_usage: { prompt_tokens: 3, completion_tokens: -1, latency_ms: 2 } }] }, /turns\[0\]\.answer_usage\.completion_tokens is -1, expected a count of tokens/],
      [{ ...game(2), turns: [{ ...game(2).turns[0]!, move: { ...game(2).turns[0]!.move, usage: { prompt_tokens: 3, completion_tokens: 1 } } }] }, /turns\[0\]\.move\.usage\.latency_ms is missing, expected milliseconds/],
      [{ ...game(2), target: 7 }, /target is 7, expected the id of a candidate/],
      [{ ...game(2), policy: undefined }, /policy is missing, expected the label of a policy/],
      [{ ...game(2), game: -1 }, /game is -1, expected the index of the game/],
      [{ ...game(2), reward: null }, /reward is null, expected a number/],
      [{ ...game(2), turns: 'none' }, /turns is "none", expected a list of turns/],
      [[1, 2], /not a game \(expected an object with target, turns and outcome/],
    ];
    for (const [bad, message] of cases) {
      const file = fileOf([game(0), game(1), bad, game(3)]);
      await expect(collect(readGames(file)), message.source).rejects.toThrow(new RegExp(`games\\.jsonl:3: ${message.source}`));
    }
  });

  it('names a file it cannot open', async () => {
    await expect(collect(readGames(join(tmp(), 'missing.jsonl')))).rejects.toThrow(/cannot read games file .*missing\.jsonl \(ENOENT\)/);
  });
});

describe('games that cannot be', () => {
  const domain = { candidateIndexOf: (id: string) => (['zebra', 'lion', 'horse'].indexOf(id) === -1 ? undefined : ['zebra', 'lion', 'horse'].indexOf(id)), size: 3, name: 'tiny' };
  const checks = { domain, max_questions: 3 };
  const refused = (lines: readonly unknown[]) => collect(readGames(fileOf(lines), checks));

  it('refuses a game that is in the file twice, naming both lines; the same index of another policy is another game', async () => {
    await expect(collect(readGames(fileOf([game(0), game(1), { ...game(0), policy: 'other' }]), checks))).resolves.toHaveLength(3);
    await expect(refused([game(0), game(1), game(2), game(1)])).rejects.toThrow(/games\.jsonl:4: game 1 of test is in the file twice \(first at line 2\); a file holds each game once$/);
    // against several answerers, a game is its policy's and its answerer's
    await expect(
      refused([
        { ...game(0), answerer: 'kb' },
        { ...game(0), answerer: 'coin' },
        { ...game(0), answerer: 'kb' },
      ]),
    ).rejects.toThrow(/:3: game 0 of test against kb is in the file twice \(first at line 1\)/);
  });

  it('refuses a target or a guess that is no candidate of the domain', async () => {
    await expect(refused([game(0), game(1, 'dragon')])).rejects.toThrow(/games\.jsonl:2: target "dragon" is not one of the 3 candidates of tiny$/);
    const guess = game(0);
    guess.turns.unshift({ move: { kind: 'guess', text: 'Is it a unicorn?', candidate: 'unicorn' }, answer: 'no' });
    guess.questions = 3;
    await expect(refused([guess])).rejects.toThrow(/:1: turns\[0\] guesses "unicorn", which is not one of the candidates$/);
  });

  it('refuses impossible games: a win without the right guess last, a game on after it, turns past the budget, counts that do not match', async () => {
    const empty = { ...game(0), turns: [], questions: 0 };
    await expect(refused([empty])).rejects.toThrow(/:1: a win whose last turn is not the right guess$/);
    const on = game(0);
    on.turns.push({ move: { kind: 'question', text: 'Is it big?' }, answer: 'yes' });
    on.questions = 3;
    await expect(refused([on])).rejects.toThrow(/:1: the game goes on after the right guess at turns\[1\]$/);
    const long = game(0);
    long.turns.unshift(...Array.from({ length: 2 }, () => ({ move: { kind: 'question' as const, text: 'Is it big?' }, answer: 'no' as const })));
    long.questions = 4;
    await expect(refused([long])).rejects.toThrow(/:1: 4 turns, past the budget of 3 questions$/);
    await expect(refused([{ ...game(0), questions: 5 }])).rejects.toThrow(/:1: questions is 5 but the game has 2 turns$/);
    await expect(refused([{ ...game(0), invalid: 1 }])).rejects.toThrow(/:1: invalid is 1 but 0 of its turns are invalid moves$/);
    const wrong = game(0);
    wrong.turns[1]!.answer = 'no';
    await expect(refused([{ ...wrong, outcome: 'loss' }])).rejects.toThrow(/:1: turns\[1\] guesses zebra and is answered no, but the target is zebra$/);
    // without a domain or a budget, what can be checked without them still is
    await expect(collect(readGames(fileOf([{ ...game(0), questions: 5 }])))).rejects.toThrow(/questions is 5/);
    await expect(collect(readGames(fileOf([game(0, 'dragon')])))).resolves.toHaveLength(1);
  });
});
