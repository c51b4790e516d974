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
  const key = options.keys[(options.trainer + i * options.trainers) % options.keys.length]!;
  const reset = await post('/reset', { key, step: i });
  const id = reset.id as string;
  for (let turn = 0; ; turn++) {
    const reply = turn < options.perGame ? options.questions[(i + turn) % options.questions.length]! : `Is it a ${options.names[key]}?`;
    const answer = await post('/step', { id, reply });
    if (answer.done) return { key, id, reward: answer.reward as number, outcome: answer.outcome as string, questions: answer.questions as number };
  }
}

const played: Played[] = [];
let next = 0;
const start = performance.now();
await Promise.all(
  Array.from({ length: options.concurrency }, async () => {
    while (next < options.games) played.push(await play(next++));
  }),
);
agent.destroy();
process.stdout.write(JSON.stringify({ seconds: (performance.now() - start) / 1000, played, latencies }) + '\n');
