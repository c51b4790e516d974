import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Trajectory } from '../../framework/game/types.js';
import { playedGames, sortPlayed } from '../../framework/stages/play.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-played-'));

function game(i: number, policy = 'a'): Trajectory {
  const win = i % 3 !== 0;
  return {
    game: i,
    seed: i,
    policy,
    target: 'zebra',
    // a lost game guessed wrong (a game cannot lose on the right guess)
    turns: [win ? { move: { kind: 'guess', text: 'Is it a zebra?', candidate: 'zebra' }, answer: 'yes' } : { move: { kind: 'guess', text: 'Is it a lion?', candidate: 'lion' }, answer: 'no' }],
    outcome: win ? 'win' : 'loss',
    questions: 1,
    invalid: 0,
    reward: win ? 0.95 : -0.5,
  };
}
const line = (g: Trajectory) => JSON.stringify(g) + '\n';

describe('the games a resumed stage keeps', () => {
  it('drops only a last line cut short, by truncating the file where the line began', async () => {
    const file = join(tmp(), 'stage.jsonl');
    const whole = [game(0), game(1), game(0, 'b'), game(2)].map(line).join('');
    writeFileSync(file, whole + line(game(3)).slice(0, 25));
    const inode = statSync(file).ino;
    const played = await playedGames(file, {});
    expect(readFileSync(file, 'utf8')).toBe(whole);
    expect(statSync(file).ino).toBe(inode);
    expect(played.get('a')).toEqual([
      { game: 0, target: 'zebra', win: false, questions: 1, invalid: 0, reward: -0.5 },
      { game: 1, target: 'zebra', win: true, questions: 1, invalid: 0, reward: 0.95 },
      { game: 2, target: 'zebra', win: true, questions: 1, invalid: 0, reward: 0.95 },
    ]);
    expect(played.get('b')?.map((g) => g.game)).toEqual([0]);
  });

  it('refuses a damaged line before the last, naming it and what to do, and changes nothing', async () => {
    const file = join(tmp(), 'stage.jsonl');
    const text = line(game(0)) + '{"game": 1, "pol\n' + line(game(2));
    writeFileSync(file, text);
    await expect(playedGames(file, {})).rejects.toThrow(/stage\.jsonl:2: not JSON .*damaged before its last line .*delete that line \(its game is played again\) and resume again/);
    writeFileSync(file, line(game(0)) + JSON.stringify({ ...game(1), turns: [{ move: null }] }) + '\n');
    await expect(playedGames(file, {})).rejects.toThrow(/stage\.jsonl:2: turns\[0\]\.move is null/);
    expect(readFileSync(file, 'utf8')).not.toBe('');
  });

  it('puts lines back in policy and game order, reading them from their places; an ordered file is left alone', async () => {
    const file = join(tmp(), 'stage.jsonl');
    const ordered = [game(0, 'a'), game(1, 'a'), game(2, 'a'), game(0, 'b'), game(1, 'b')];
    writeFileSync(file, [ordered[0]!, ordered[3]!, ordered[2]!, ordered[1]!, ordered[4]!].map(line).join(''));
    await sortPlayed(file, ['a', 'b']);
    expect(readFileSync(file, 'utf8')).toBe(ordered.map(line).join(''));
    const inode = statSync(file).ino;
    await sortPlayed(file, ['a', 'b']);
    expect(statSync(file).ino).toBe(inode);
    // lines written by other means, fields in another order, are parsed for their keys
    const reordered = ({ game, policy, ...rest }: Trajectory) => JSON.stringify({ policy, ...rest, game }) + '\n';
    writeFileSync(file, [ordered[4]!, ordered[0]!, ordered[1]!].map(reordered).join(''));
    await sortPlayed(file, ['a', 'b']);
    expect(readFileSync(file, 'utf8')).toBe([ordered[0]!, ordered[1]!, ordered[4]!].map(reordered).join(''));
  });

  it('reads a resumed stage in time linear in its games', async () => {
    const file = join(tmp(), 'stage.jsonl');
    const time = async (n: number) => {
      writeFileSync(file, Array.from({ length: n }, (_, i) => line(game(i))).join(''));
      const start = performance.now();
      await playedGames(file, {});
      return performance.now() - start;
    };
    await time(5_000);
    const small = await time(20_000);
    const large = await time(80_000);
    // quadratic copying (the array copied at each line) takes 16 times as long for 4 times the games
    expect(large / small).toBeLessThan(10);
  });
});
