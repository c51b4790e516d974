import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerText, readMove, renderPrompt, type ChatMessage, type RenderOptions } from '../game/chat.js';
import { playGame, scoreGame, type Players } from '../game/engine.js';
import type { Move, Trajectory } from '../game/types.js';
import type { GameEnvironment, Policy, Reward } from '../plugins/types.js';
import { deriveSeed } from '../util/rng.js';

/**
 * The game engine served over loopback for a trainer that plays the games itself (the `trl` backend's
 * GRPO): the environment protocol (POST /reset, POST /step; the trl README). Each game is played by playGame
 * with a policy whose move is the reply the trainer posts, so the rules, the answerer, the rendering
 * (renderPrompt) and the reward plugin are the ones every other stage uses.
 */

export interface EnvironmentSetup {
  /** The players but the policy: the trainer is the policy. */
  players: Omit<Players, 'policy'>;
  reward: Reward;
  /** How errors name the reward ("reward efficiency"). */
  rewardName?: string;
  render: RenderOptions;
  /** Seed of the stage: a game's seed is derived from it, its key and how many games that key started. */
  seed: number;
  /** Every finished game, with its reward, in the order games finish. */
  onGame?(game: Trajectory): void;
  /** The exact regret of each turn of a finished game (sent with its last answer as `regrets`), or undefined where it has none. */
  regrets?(game: Trajectory): number[] | undefined;
}

type Body = Record<string, unknown>;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A game waiting on the trainer: `outbox` settles the HTTP request in flight, `inbox` takes the next reply. */
interface RemoteGame {
  outbox: Deferred<{ status: number; body: Body }>;
  inbox?: Deferred<string>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The body as JSON (events, not an async iterator: the environment answers thousands of these a second). */
async function readJson(req: IncomingMessage): Promise<Body> {
  const text = await new Promise<string>((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Body;
  } catch {
    // reported below
  }
  throw new HttpError(400, 'the body must be a JSON object');
}

/** The policy of a remote game: each move it is asked for is the answer to the trainer's last request, and waits for the trainer's next. */
function remotePolicy(remote: RemoteGame, id: string, { players: { domain, rules }, render }: EnvironmentSetup): Policy {
  return {
    act: async (views): Promise<Move[]> => {
      const { turns } = views[0]!;
      remote.inbox = deferred();
      // the first move gets the whole prompt; each later one the answer to the move before (what renderPrompt would end with)
      const last = turns.at(-1);
      const message: ChatMessage | undefined = last && { role: 'user', content: answerText(last.move, last.answer, domain) };
      remote.outbox.resolve({ status: 200, body: message ? { done: false, message } : { id, messages: renderPrompt(domain, rules, turns, render) } });
      const reply = await remote.inbox.promise;
      return [{ ...readMove(reply, domain), raw: reply }];
    },
  };
}

type Answer = { status: number; body: Body };

/**
 * A batch: `{"games": [{key, step}, ...]}` to /reset, `{"steps": [{id, reply}, ...]}` to /step, as a
 * rollout that generates for every live game at once sends them: one request a turn, not one a game.
 * The answer holds each item's answer in order (`{"results": [...]}`, an item's failure as its error).
 */
async function batch(one: (route: string, input: Body) => Promise<Answer>, route: string, items: unknown): Promise<Answer> {
  if (!Array.isArray(items) || items.length === 0) throw new HttpError(400, `${route === '/reset' ? 'games' : 'steps'} must be a non-empty list`);
  const results = await Promise.all(
    items.map(async (item: unknown) => {
      if (!item || typeof item !== 'object' || Array.isArray(item)) return { error: 'each item must be a JSON object', status: 400 };
      const { status, body } = await one(route, item as Body);
      return status === 200 ? body : { ...body, status };
    }),
  );
  return { status: 200, body: { results } };
}

/** An HTTP request: one reset or step, or a batch of them. */
async function handle(one: (route: string, input: Body) => Promise<Answer>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let status = 200;
  let body: Body;
  try {
    if (req.method !== 'POST' || (req.url !== '/reset' && req.url !== '/step')) throw new HttpError(404, `${req.method} ${req.url}: the environment answers POST /reset and POST /step`);
    const input = await readJson(req);
    const items = req.url === '/reset' ? input.games : input.steps;
    ({ status, body } = items === undefined ? await one(req.url, input) : await batch(one, req.url, items));
  } catch (error) {
    status = error instanceof HttpError ? error.status : 500;
    body = { error: (error as Error).message };
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** Starts the environment on 127.0.0.1 (a free port); `close` drops the games still open. */
export async function serveEnvironment(setup: EnvironmentSetup): Promise<GameEnvironment> {
  const { players, reward } = setup;
  const { domain } = players;
  const games = new Map<string, RemoteGame>();
  const started = new Map<string, number>();
  let next = 0;
  let finished = 0;

  function reset(key: unknown, step: unknown): Promise<{ status: number; body: Body }> {
    if (typeof key !== 'string' || domain.candidateIndexOf(key) === undefined) throw new HttpError(400, `key ${JSON.stringify(key)} names no ${domain.noun} of ${domain.name}`);
    if (step !== undefined && !(Number.isSafeInteger(step) && (step as number) >= 0)) throw new HttpError(400, `step ${JSON.stringify(step)} is not a training step (an integer >= 0)`);
    // the seed: the key, the trainer's step when it says (a resumed stage goes on with new games), and how many games of that key the step has started
    const counter = step === undefined ? key : `${key}@${step as number}`;
    const n = started.get(counter) ?? 0;
    started.set(counter, n + 1);
    const game = next++;
    const id = `g${game}`;
    const remote: RemoteGame = { outbox: deferred() };
    games.set(id, remote);
    const policy = remotePolicy(remote, id, setup);
    const seed = step === undefined ? deriveSeed(setup.seed, 'environment', key, n) : deriveSeed(setup.seed, 'environment', key, step as number, n);
    playGame({ game, seed, target: key }, { ...players, policy })
      .then((trajectory) => {
        scoreGame(trajectory, reward, setup.rewardName ?? 'the reward');
        games.delete(id);
        finished++;
        setup.onGame?.(trajectory);
        const last = trajectory.turns.at(-1)!;
        const message: ChatMessage = { role: 'user', content: answerText(last.move, last.answer, domain) };
        const { outcome, questions, invalid } = trajectory;
        const regrets = setup.regrets?.(trajectory);
        remote.outbox.resolve({ status: 200, body: { done: true, message, reward: trajectory.reward, outcome, questions, invalid, ...(regrets ? { regrets } : {}) } });
      })
      .catch((error: Error) => {
        games.delete(id);
        remote.outbox.resolve({ status: 500, body: { error: `game ${id}: ${error.message}` } });
      });
    return remote.outbox.promise;
  }

  function step(id: unknown, reply: unknown): Promise<{ status: number; body: Body }> {
    const remote = typeof id === 'string' ? games.get(id) : undefined;
    if (!remote) throw new HttpError(404, `no game ${JSON.stringify(id)} is open: start one with POST /reset`);
    if (typeof reply !== 'string') throw new HttpError(400, "reply must be a string: the model's move");
    const inbox = remote.inbox;
    if (!inbox) throw new HttpError(409, `game ${JSON.stringify(id)} is not waiting for a move`);
    remote.inbox = undefined;
    remote.outbox = deferred();
    inbox.resolve(reply);
    return remote.outbox.promise;
  }

  /** One reset or step, its failure an answer like its success (a batch answers each of its items). */
  async function one(route: string, input: Body): Promise<{ status: number; body: Body }> {
    try {
      return await (route === '/reset' ? reset(input.key, input.step) : step(input.id, input.reply));
    } catch (error) {
      return { status: error instanceof HttpError ? error.status : 500, body: { error: (error as Error).message } };
    }
  }

  const server = createServer((req, res) => void handle(one, req, res));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get games() {
      return finished;
    },
    close: () =>
      new Promise<void>((resolve) => {
        games.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
