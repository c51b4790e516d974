import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { animals90 } from '../helpers.js';

// The CLI as a user runs it: the built binary (npm test builds first), in a child process.
const BIN = resolve('bin/run.js');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };

function cli(args: string[], input = '') {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-cli-'));

describe('twentyq CLI', () => {
  it('lists its commands, and every command has --help', () => {
    const top = cli(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['run', 'validate', 'plugins', 'bounds', 'play']) {
      expect(top.stdout).toContain(command);
      const help = cli([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(/USAGE[\s\S]*\$ twentyq /);
      expect(help.stdout, command).toMatch(/DESCRIPTION|EXAMPLES/);
    }
  });

  it('run: plays the experiment, prints the summary table and writes the run directory', () => {
    const out = tmp();
    const r = cli(['run', 'experiments/quickstart.yaml', '--out', out, '--workers', '2', '--set', 'stages.0.evaluate.games_per_animal=1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/policy\s+games\s+distinct\s+errors\s+success\s+95% CI\s+avg q\s+95% CI\s+avg q \(wins\)\s+efficiency\s+invalid\s+bound/);
    expect(r.stdout).toMatch(/01-evaluate\s+infogain\s+90\s+90\s+0\s+100\.0%\s+95\.9%-100\.0%\s+5\.20\s+[\d.]+-[\d.]+\s+5\.20\s+0\.740\s+0\.0%\s+5\.200/);
    expect(r.stdout).toContain('With arbitrary yes/no questions over 90 equally likely candidates the best is 6.933');
    expect(r.stdout).toMatch(/run completed: /);
    // plain progress lines on stderr when it is not a terminal
    expect(r.stderr).toMatch(/01-evaluate infogain: 90\/90 games, success 100\.0% in/);
    const [id] = readdirSync(join(out, 'quickstart'));
    expect(readdirSync(join(out, 'quickstart', id!))).toContain('01-evaluate.jsonl');
  });

  it('run: a broken file gets its problems with file:line:col and exit code 1, no stack trace', () => {
    const r = cli(['run', 'test/fixtures/broken/types.yaml', '--out', tmp()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('test/fixtures/broken/types.yaml:3:24: game.max_questions: expected integer, got "ten"');
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('validate: ok, or every problem', () => {
    const ok = cli(['validate', 'experiments/quickstart.yaml']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('experiments/quickstart.yaml: ok. Experiment "quickstart", seed 1, 1 stage (01-evaluate).');
    const bad = cli(['validate', 'test/fixtures/broken/unknown-policy.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown policy "infogian"; did you mean "infogain"?');
    const set = cli(['validate', 'experiments/quickstart.yaml', '--set', 'game.wrong_guess=sometimes']);
    expect(set.code).toBe(1);
    expect(set.stderr).toContain('--set game.wrong_guess=sometimes: game.wrong_guess: expected one of "continue", "lose", got "sometimes"');
  });

  it('plugins: every kind, with descriptions and options', () => {
    const all = cli(['plugins']);
    expect(all.code).toBe(0);
    for (const heading of ['domains:', 'answerers:', 'policies:', 'rewards:', 'strategies:']) expect(all.stdout).toContain(heading);
    expect(all.stdout).toMatch(/infogain\s+The expert/);
    expect(all.stdout).toMatch(/epsilon: number \[0\.\.1\] = 0/);
    expect(all.stdout).toMatch(/loss: number = -0\.5/);
    const policies = cli(['plugins', 'policy']);
    expect(policies.stdout).not.toContain('answerers:');
    const wrong = cli(['plugins', 'polcy']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Expected polcy to be one of: domain, answerer, policy, reward,[\s›]+strategy/);
    // one plugin: a built-in by name, one of your own by its path (a TypeScript one too)
    const one = cli(['plugins', 'policy', 'infogain']);
    expect(one.stdout.split('\n').filter((l) => /^ {2}\S/.test(l))).toEqual([expect.stringMatching(/^ {2}infogain {2}The expert/)]);
    const own = cli(['plugins', 'answerer', 'test/fixtures/plugins/always-no.ts']);
    expect(own.stdout).toContain('  test/fixtures/plugins/always-no.ts  Says no to every question');
    expect(own.stdout).toContain('word: "yes" | "no" | "unknown" = "no"');
    const missing = cli(['plugins', 'answerer', './nope.js']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('answerer plugin file not found');
  });

  it("bounds: the exact optimal tree over animals90's questions, for both rules and both semantics", () => {
    const r = cli(['bounds']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/continue\s+say\s+5\.2000\s+5\.2000\s+exact\s+7\s+0\.7400\s+4:14 5:45 6:30 7:1/);
    expect(r.stdout).toMatch(/lose\s+say\s+5\.3889\s+5\.3889\s+exact/);
    expect(r.stdout).toMatch(/continue\s+coin\s+6\.9917\s+6\.9917\s+exact/);
    expect(r.stdout).toMatch(/lose\s+coin\s+7\.6278\s+7\.6278\s+exact/);
    // a stage that plays five targets has its own bound; past the time limit, bounds labelled as such
    const five = JSON.parse(cli(['bounds', '--games', '5', '--unknown', 'say', '--rule', 'continue', '--json']).stdout);
    expect(five.targets).toBe(5);
    expect(five.trees[0].mean).toBeLessThan(3);
    expect(five.unrestricted[0].total).toBe(14);
    const rushed = cli(['bounds', '--unknown', 'coin', '--rule', 'continue', '--time-limit', '0']);
    expect(rushed.stdout).toMatch(/continue\s+coin\s+7\.\d{4}\s+6\.9\d{3}\s+time limit/);
    expect(cli(['bounds', '--targets', 'zebra,unicorn']).stderr).toContain('no candidate "unicorn"');
  });

  it('bounds: the optimal means for arbitrary yes/no questions, for both rules', () => {
    const r = cli(['bounds']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/continue\s+90\s+624\s+6\.9333\s+8\s+0\.6533\s+6:32 7:32 8:26/);
    expect(r.stdout).toMatch(/lose\s+90\s+682\s+7\.5778\s+8\s+0\.6211/);
    expect(r.stdout).toContain('entropy floor log2(90) = 6.4919');
    const small = cli(['bounds', '-n', '4', '--rule', 'continue', '--max-questions', '10']);
    expect(small.stdout).toMatch(/continue\s+4\s+10\s+2\.5000\s+3\s+0\.7500\s+2:2 3:2/);
    expect(small.stdout).not.toContain('lose');
  });

  it('play: a person asks and guesses; the kb answers', () => {
    const r = cli(['play', '--target', 'zebra', '--seed', '1'], 'Is it a mammal?\nwhat now\nDoes it have stripes?\nIs it a tiger?\nIs it a zebra?\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Q1/20> Is it a mammal?\n  yes');
    expect(r.stdout).toContain('(not counted: no question');
    expect(r.stdout).toContain('Q3/20> Is it a tiger?\n  no');
    expect(r.stdout).toContain('You won in 4 questions.');
  });

  it('play: gives up at the end of input and names the animal', () => {
    const r = cli(['play', '--target', 'killer whale'], 'Is it a fish?\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('You lost: it was the orca.');
  });

  it('play: the policy asks, a person answers (thinking of a zebra, from the truth table)', async () => {
    const domain = animals90();
    const zebra = domain.candidateIndexOf('zebra')!;
    const byQuestion = new Map(domain.attributes.map((a, i) => [a.question, i]));
    const child = spawn(process.execPath, [BIN, 'play', '--as', 'answerer', '--seed', '1'], { env });
    let stdout = '';
    const asked: string[] = [];
    child.stdout.on('data', (d) => {
      stdout += String(d);
      const prompt = /Q(\d+)\/20: (.*) > $/.exec(stdout);
      if (!prompt) return;
      const question = prompt[2]!;
      asked[Number(prompt[1]) - 1] = question;
      stdout += '\n';
      const a = byQuestion.get(question);
      const fact = a === undefined ? (question === 'Is it a zebra?' ? 'yes' : 'no') : domain.fact(zebra, a);
      // the first answer is not one the game understands: it must ask again
      child.stdin.write(asked.length === 1 && !stdout.includes('please answer') ? 'maybe not\n' : fact[0] + '\n');
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code).toBe(0);
    expect(stdout).toContain('Think of one of the 90 animals');
    expect(stdout).toContain('please answer y, n or u');
    expect(asked[0]).toBe('Is it a mammal?');
    expect(asked.at(-1)).toBe('Is it a zebra?');
    expect(stdout).toContain(`Got it in ${asked.length} questions!`);
  });

  it('play --list prints the candidates with their aliases', () => {
    const r = cli(['play', '--list']);
    expect(r.stdout.trim().split('\n')).toHaveLength(90);
    expect(r.stdout).toContain('orca (killer whale)');
  });

  it('Ctrl-C: keeps the finished games, marks the run interrupted, exits 130', async () => {
    const out = tmp();
    // 10,800 games in batches of 450 on one worker: a Ctrl-C sent once the first batch is on disk comes early
    const child = spawn(process.execPath, [BIN, 'run', 'experiments/quickstart.yaml', '--out', out, '--workers', '1', '--set', 'stages.0.evaluate.games_per_animal=40'], { env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    // a definite event, not a time: the first game is on disk
    let file: string | undefined;
    for (;;) {
      const [id] = existsSync(join(out, 'quickstart')) ? readdirSync(join(out, 'quickstart')) : [];
      file = id ? join(out, 'quickstart', id, '01-evaluate.jsonl') : undefined;
      if (file && existsSync(file) && statSync(file).size > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('interrupting (SIGINT): stopping at the next batch boundary');
    const dir = join(file, '..');
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(run.status).toBe('interrupted');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(3 * 3600);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(readFileSync(join(dir, 'summary.txt'), 'utf8')).toMatch(/01-evaluate\s+random/);
    expect(stderr).toContain(`finish the run with: twentyq run --resume ${dir}`);
    // --resume finishes it in place
    const resumed = cli(['run', '--resume', dir, '--progress', 'none']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`run completed: ${dir}`);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(3 * 3600);
    expect(cli(['run', '--resume', dir]).stderr).toContain('this run is complete; there is nothing to resume');
    // a kill between run.json's "completed" and report.html: --resume writes the report, and only that
    const before = readFileSync(join(dir, 'run.json'), 'utf8');
    rmSync(join(dir, 'report.html'));
    const reported = cli(['run', '--resume', dir]);
    expect(reported.code, reported.stderr).toBe(0);
    expect(reported.stdout).toContain(`${dir}: this run is complete, but its report.html was not written: wrote it now.`);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<html');
    expect(readFileSync(join(dir, 'run.json'), 'utf8')).toBe(before);
  });

  it('run: needs a file or --resume, not both', () => {
    expect(cli(['run']).stderr).toContain('give an experiment file to run, or --resume RUN_DIR');
    expect(cli(['run', 'experiments/quickstart.yaml', '--resume', 'runs/x']).code).toBe(1);
  });
});
