/**
 * One trainer process of bench:env (and of the environment's concurrency test): keeps `concurrency`
 * games in flight against the environment over HTTP with keep-alive, as a GRPO rollout does, until it
 * has played `games`. A game asks `questions` questions from the list it is given, then guesses its
 * target. Prints one JSON line: the games it played (key, id, reward, outcome, questions) and the
 * latency of every request.
 */
import { Agent, request } from 'node:http';

interface Options {
  url: string;
  concurrency: number;
  games: number;
  keys: string[];
  names: Record<string, string>;
  questions: string[];
  perGame: number;
  /** Names this trainer's games among several: the game number i of trainer t plays keys[(t + i * trainers) % keys.length]. */
  trainer: number;
  trainers: number;
  /** Batches: one /reset for the games it starts and one /step for all its live games each turn, as a rollout that generates for all of them at once. */
  batch: boolean;
}

const options = JSON.parse(process.argv[2]!) as Options;
const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
const latencies: number[] = [];

function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const data = JSON.stringify(body);
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${options.url}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        latencies.push(performance.now() - start);
        const answer = JSON.parse(text) as Record<string, unknown>;
        if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode} ${String(answer.error)}`));
        else resolve(answer);
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

interface Played {
  key: string;
  id: string;
  reward: number;
  outcome: string;
  questions: number;
}

async function play(i: number): Promise<Played> {
  const key = keyOf(i);
  const reset = await post('/reset', { key, step: i });
  const id = reset.id as string;
  for (let turn = 0; ; turn++) {
    const reply = replyOf(i, turn, key);
    const answer = await post('/step', { id, reply });
    if (answer.done) return { key, id, reward: answer.reward as number, outcome: answer.outcome as string, questions: answer.questions as number };
  }
}

const keyOf = (i: number) => options.keys[(options.trainer + i * options.trainers) % options.keys.length]!;
const replyOf = (i: number, turn: number, key: string) => (turn < options.perGame ? options.questions[(i + turn) % options.questions.length]! : `Is it a ${options.names[key]}?`);

/** Every game in flight advanced together, a batch request a turn. */
async function playBatches(played: Played[]): Promise<number> {
  let live: { i: number; key: string; id: string; turn: number }[] = [];
  let started = 0;
  let steps = 0;
  while (started < options.games || live.length > 0) {
    const fresh: number[] = [];
    while (live.length + fresh.length < options.concurrency && started < options.games) fresh.push(started++);
    if (fresh.length > 0) {
      const { results } = (await post('/reset', { games: fresh.map((i) => ({ key: keyOf(i), step: i })) })) as { results: { id: string }[] };
      fresh.forEach((i, k) => live.push({ i, key: keyOf(i), id: results[k]!.id, turn: 0 }));
      steps += fresh.length;
    }
    const { results } = (await post('/step', { steps: live.map((g) => ({ id: g.id, reply: replyOf(g.i, g.turn, g.key) })) })) as { results: Record<string, unknown>[] };
    steps += live.length;
    live = live.filter((g, k) => {
      const answer = results[k]!;
      if (answer.error !== undefined) throw new Error(`game ${g.id}: ${String(answer.error)}`);
      if (!answer.done) return (g.turn++, true);
      played.push({ key: g.key, id: g.id, reward: answer.reward as number, outcome: answer.outcome as string, questions: answer.questions as number });
      return false;
    });
  }
  return steps;
}

const played: Played[] = [];
let next = 0;
const start = performance.now();
let steps = 0;
if (options.batch) steps = await playBatches(played);
else {
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.games) played.push(await play(next++));
    }),
  );
  steps = latencies.length;
}
agent.destroy();
process.stdout.write(JSON.stringify({ seconds: (performance.now() - start) / 1000, played, latencies, steps }) + '\n');
