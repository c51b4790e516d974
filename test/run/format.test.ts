import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperiment } from '../../framework/config/load.js';
import { gatherRun } from '../../framework/report/data.js';
import { readRun } from '../../framework/report/runs.js';
import { RUN_FORMAT } from '../../framework/run/format.js';
import { ResumeError, RunDir, RunFileError, type RunRecord } from '../../framework/run/rundir.js';

const experiment = () => parseExperiment('name: format\nstages:\n  - evaluate: { games: 3 }\n', join(process.cwd(), 'format.yaml'));

/** A run directory as a run that was stopped at once leaves it, its run.json changed by `edit`. */
async function runDir(edit: (record: RunRecord & Record<string, unknown>) => void): Promise<string> {
  const run = RunDir.create(mkdtempSync(join(tmpdir(), 'twentyq-format-')), await experiment(), 1);
  run.finish('interrupted');
  run.release();
  const file = join(run.path, 'run.json');
  const record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord & Record<string, unknown>;
  edit(record);
  writeFileSync(file, JSON.stringify(record));
  return run.path;
}

describe('the run directory format', () => {
  it('is recorded in run.json', async () => {
    const dir = await runDir(() => {});
    expect(RUN_FORMAT).toBe(2);
    const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;
    expect(record.format_version).toBe(RUN_FORMAT);
    // what the report reads instead of the experiment's plugins
    expect(record.game).toEqual({ max_questions: 20, wrong_guess: 'continue' });
    expect(record.stages[0]!.outputs).toEqual({ games: '01-evaluate.jsonl', regret: '01-evaluate.regret.jsonl' });
  });

  it('reads a run written before the format was recorded as format 1: listed, reported (saying what it lacks) and resumed in format 2', async () => {
    const dir = await runDir((r) => {
      delete r.format_version;
      delete r.game;
      for (const s of r.stages) delete s.outputs;
    });
    const info = readRun(dir);
    expect(info.problems).toEqual([]);
    expect(info.record?.status).toBe('interrupted');
    const report = await gatherRun(dir);
    expect(report.stages.map((s) => s.name)).toEqual(['01-evaluate']);
    expect(report.maxQuestions).toBe(20);
    expect(report.missing[0]).toMatch(/records no domain\.json .*no candidates left/);
    const { run } = await RunDir.resume(dir, 1);
    run.release();
    const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;
    expect(record).toMatchObject({ format_version: RUN_FORMAT, game: { max_questions: 20 } });
    expect(record.stages[0]!.outputs).toEqual({ games: '01-evaluate.jsonl', regret: '01-evaluate.regret.jsonl' });
  });

  it('refuses a run of a newer format, naming its version, everywhere it is read', async () => {
    const dir = await runDir((r) => (r.format_version = 7));
    const info = readRun(dir);
    expect(info.record).toBeUndefined();
    expect(info.unreadable?.format).toBe(7);
    expect(info.problems[0]).toMatch(/written by a newer twentyq, in run directory format 7; this twentyq reads formats 1 to 2/);
    await expect(gatherRun(dir)).rejects.toThrow(RunFileError);
    await expect(gatherRun(dir)).rejects.toThrow(/run directory format 7/);
    await expect(RunDir.resume(dir, 1)).rejects.toThrow(ResumeError);
    await expect(RunDir.resume(dir, 1)).rejects.toThrow(/run directory format 7/);
    // the refusal leaves the run as it was, for a twentyq that reads it
    expect(readFileSync(join(dir, 'run.json'), 'utf8')).toContain('"format_version":7');
  });

  it('refuses a version that is no version, saying so', async () => {
    const dir = await runDir((r) => (r.format_version = 'two' as unknown as number));
    expect(readRun(dir).problems[0]).toMatch(/format_version "two", which is no format/);
    await expect(RunDir.resume(dir, 1)).rejects.toThrow(/format_version "two"/);
  });
});
