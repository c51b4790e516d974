import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

// `twentyq play` as a person meets it: the built binary in a child process.
const BIN = resolve('bin/run.js');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };
const play = (args: string[], input: string) => spawnSync(process.execPath, [BIN, 'play', ...args], { input, env, encoding: 'utf8', timeout: 60_000 });

describe('twentyq play', () => {
  it('says when the knowledge base does not understand a question, and does not count it', () => {
    const r = play(['--target', 'zebra'], 'Does it have legs?\nWhat color is it?\n?\nIs it a mammal?\nIs it a zebra?\n');
    expect(r.status).toBe(0);
    expect(r.stdout.match(/not understood, so not counted; "questions" lists the 71 questions I know/g)).toHaveLength(3);
    // the three lines cost nothing: the mammal question is still Q1
    expect(r.stdout).toContain('Q1/20> Is it a mammal?\n  yes');
    expect(r.stdout).toContain('You won in 2 questions.');
  });

  it('says a guess of a name that is none of the animals is not one of them (not that it was not understood), and does not count it', () => {
    const r = play(['--target', 'zebra'], 'Is it a piran?\nIs it an orcodile?\nIs it a zebra?\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('(not counted: "piran" is not one of the 90 animals)');
    expect(r.stdout).toContain('(not counted: "orcodile" is not one of the 90 animals)');
    expect(r.stdout).not.toContain('not understood');
    expect(r.stdout).toContain('You won in 1 question.');
  });

  it('lists the questions it understands, and the commands on "help"', () => {
    const r = play(['--target', 'zebra'], 'questions\nhelp\n');
    const questions = r.stdout.split('\n').filter((l) => /^ {2}\S.*\?$/.test(l));
    expect(questions).toHaveLength(71);
    expect(questions).toContain('  Is it a mammal?');
    expect(r.stdout).toContain('Type "list" for the animals, "questions" for the questions I understand, "quit" to give up.\nQ1/20>');
  });

  it('as the answerer: "maybe" is taken as unknown, and the player is told so; "u" needs no word', () => {
    const r = play(['--as', 'answerer', '--policy', 'infogain'], 'maybe\nu\nquit\n');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(/\("maybe" taken as unknown\)/g)).toHaveLength(1);
    expect(r.stdout).not.toContain('"u" taken');
  });

  it('Ctrl-C stops the game with exit code 130, without a verdict', async () => {
    const child = spawn(process.execPath, [BIN, 'play', '--target', 'zebra'], { env });
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      stdout += String(d);
      if (!sent && stdout.includes('Q1/20> ')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code).toBe(130);
    expect(stdout).toContain('stopped (Ctrl-C)');
    expect(stdout).not.toContain('You lost');
  });
});
