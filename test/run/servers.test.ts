import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../../framework/config/load.js';
import type { ServerEvent } from '../../framework/llm/launches.js';
import { createProgress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';

const jsonl = <T>(file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);

/** The times each server, and each training, held a device: [from, to) in ISO time, as the run's files record them. */
function holdings(events: ServerEvent[], training: { device: string; start: string; end: string }[]) {
  const spans: { who: string; device: string; from: string; to: string }[] = [];
  const open = new Map<string, ServerEvent>();
  for (const e of events) {
    if (e.event === 'start') open.set(e.server, e);
    else {
      const started = open.get(e.server)!;
      open.delete(e.server);
      for (const device of e.devices) spans.push({ who: e.server, device, from: started.at, to: e.at });
    }
  }
  expect(open.size, 'every server started was stopped').toBe(0);
  for (const t of training) spans.push({ who: 'training', device: t.device, from: t.start, to: t.end });
  return spans;
}

describe('launched servers around a training stage (twentyq serve behind the launching fixture)', () => {
  it('stop when no later stage uses them and before a stage trains on their device, start again for the next evaluation, and never share a device', async () => {
    const lines: string[] = [];
    const progress = createProgress('silent');
    const log = progress.log.bind(progress);
    progress.log = (line: string) => {
      lines.push(line);
      log(line);
    };
    const experiment = await loadExperiment('test/fixtures/servers.yaml');
    const result = await runExperiment(experiment, { workers: 1, runsDir: mkdtempSync(join(tmpdir(), 'twentyq-servers-')), progress, cache: null });
    expect(result.status).toBe('completed');
    expect(result.rows.map((r) => [r.stage, r.policy, r.metrics.success])).toEqual([
      ['before', 'gpu0', 1],
      ['before', 'host', 1],
      ['before', 'gpu1', 1],
      ['data', 'infogain', 1],
      ['after', 'gpu0', 1],
      ['after', 'host', 1],
      ['last', 'sft', expect.any(Number)],
    ]);
    const events = jsonl<ServerEvent>(join(result.dir, 'servers', 'events.jsonl'));
    expect(events.map((e) => [e.event, e.server, e.stage, e.why])).toEqual([
      ['start', 'gpu0', 'before', 'asked for'],
      ['start', 'host', 'before', 'asked for'],
      ['start', 'gpu1', 'before', 'asked for'],
      // used by no stage after the first: its device is given back at once
      ['stop', 'gpu1', 'data', 'no later stage uses it'],
      // on the device the policy trains on: stopped before the training, started again for the evaluation after it
      ['stop', 'gpu0', 'sft', 'stage sft trains on cuda:0'],
      // cpu never clashes: the host server stays up through the training
      ['start', 'gpu0', 'after', 'asked for again'],
      ['stop', 'gpu0', 'last', 'no later stage uses it'],
      ['stop', 'host', 'last', 'no later stage uses it'],
    ]);
    expect(events.find((e) => e.server === 'gpu1')!.devices).toEqual(['cuda:1']);
    expect(events.find((e) => e.server === 'host')!.devices).toEqual([]);
    // the same lines in the run's log
    expect(lines).toContain('servers: stopping gpu0 on cuda:0 in stage sft: stage sft trains on cuda:0');
    expect(lines).toContain('servers: starting host on no device in stage before: asked for');
    // no two holders of one device at once: servers, and the training
    const spans = holdings(events, jsonl(join(result.dir, 'training.jsonl')));
    expect(spans.filter((s) => s.who === 'training')).toHaveLength(1);
    for (const a of spans) {
      for (const b of spans) {
        if (a === b || a.device !== b.device) continue;
        expect(a.to <= b.from || b.to <= a.from, `${a.who} and ${b.who} on ${a.device}`).toBe(true);
      }
    }
    // each server's own log says when it was stopped: gpu0 twice, in one file appended to
    expect(readFileSync(join(result.dir, 'servers', 'gpu0.log'), 'utf8').match(/\[twentyq\] \S+ stopped/g)).toHaveLength(2);
  });
});
