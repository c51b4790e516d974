import { open } from 'node:fs/promises';
import type { Trajectory } from '../game/types.js';

/** A games file that cannot be read as trajectories; names the file and line. */
export class GamesFileError extends Error {}

/** Games to read, as many times as a reader needs: each call reads them again from the start. */
export type GameSource = () => AsyncIterable<Trajectory> | Iterable<Trajectory>;

/** One line of a JSONL file, with where it sits: bytes [start, end) of the file, its newline included. */
export interface JsonlLine {
  text: string;
  /** 1-based, as an editor shows it. */
  number: number;
  start: number;
  end: number;
  /** False for a last line with no newline: a write cut short, or a file made by hand. */
  complete: boolean;
}

const NEWLINE = 0x0a;

/**
 * The lines of a JSONL file, read in chunks of `chunkSize` bytes: the file is never one string, so its
 * size is bounded by the disk, not by V8's longest string. Lines are split on bytes (a newline byte
 * never occurs inside a UTF-8 character), then decoded one by one.
 */
export async function* jsonlLines(file: string, chunkSize = 1 << 20): AsyncGenerator<JsonlLine> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new GamesFileError(`cannot read games file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    const chunk = Buffer.alloc(chunkSize);
    let pending: Buffer[] = [];
    let position = 0;
    let start = 0;
    let number = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunkSize, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      let from = 0;
      for (let nl = chunk.indexOf(NEWLINE, 0); nl !== -1 && nl < bytesRead; nl = chunk.indexOf(NEWLINE, from)) {
        const piece = chunk.subarray(from, nl);
        const bytes = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
        pending = [];
        const end = start + bytes.length + 1;
        yield { text: bytes.toString('utf8'), number: ++number, start, end, complete: true };
        start = end;
        from = nl + 1;
      }
      // the rest of the chunk begins a line that the next chunk ends: keep a copy, the buffer is reused
      if (from < bytesRead) pending.push(Buffer.from(chunk.subarray(from, bytesRead)));
    }
    if (pending.length > 0) {
      const bytes = Buffer.concat(pending);
      yield { text: bytes.toString('utf8'), number: ++number, start, end: start + bytes.length, complete: false };
    }
  } finally {
    await handle.close();
  }
}

const MOVE_KINDS = ['question', 'guess', 'invalid'];
const ANSWERS = ['yes', 'no', 'unknown'];

const isCount = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** What is wrong with a model's usage as a waiting plugin reports it, or undefined. */
function usageProblem(usage: unknown, where: string): string | undefined {
  if (usage === undefined) return undefined;
  if (!isObject(usage)) return `${where} is ${JSON.stringify(usage)}, expected {prompt_tokens, completion_tokens, latency_ms}`;
  for (const key of ['prompt_tokens', 'completion_tokens']) {
    if (!isCount(usage[key])) return `${where}.${key} is ${JSON.stringify(usage[key]) ?? 'missing'}, expected a count of tokens`;
  }
  if (!(Number.isFinite(usage.latency_ms) && (usage.latency_ms as number) >= 0)) return `${where}.latency_ms is ${JSON.stringify(usage.latency_ms) ?? 'missing'}, expected milliseconds`;
  if (usage.cached !== undefined && typeof usage.cached !== 'boolean') return `${where}.cached is ${JSON.stringify(usage.cached)}, expected true or false`;
  return undefined;
}

/** What is wrong with what a model said (`raw`) and its usage, under a prefix, or undefined. */
function saidProblem(value: Record<string, unknown>, where: string, prefix: string): string | undefined {
  const raw = value[`${prefix}raw`];
  if (raw !== undefined && typeof raw !== 'string') return `${where}.${prefix}raw is ${JSON.stringify(raw)}, expected a string`;
  return usageProblem(value[`${prefix}usage`], `${where}.${prefix}usage`);
}

/** What is wrong with one turn of a game, or undefined. */
function turnProblem(turn: unknown, i: number): string | undefined {
  const where = `turns[${i}]`;
  if (!isObject(turn)) return `${where} is ${JSON.stringify(turn)}, expected an object {move, answer}`;
  const move = turn.move;
  if (!isObject(move)) return `${where}.move is ${JSON.stringify(move) ?? 'missing'}, expected {kind, text}`;
  if (!MOVE_KINDS.includes(move.kind as string)) return `${where}.move.kind is ${JSON.stringify(move.kind) ?? 'missing'}, expected one of ${MOVE_KINDS.join(', ')}`;
  if (typeof move.text !== 'string') return `${where}.move.text is ${JSON.stringify(move.text) ?? 'missing'}, expected a string`;
  if (move.kind === 'guess' && typeof move.candidate !== 'string') return `${where}.move is a guess without a candidate`;
  if (move.attribute !== undefined && typeof move.attribute !== 'string') return `${where}.move.attribute is ${JSON.stringify(move.attribute)}, expected a string`;
  if (turn.answer !== undefined && !ANSWERS.includes(turn.answer as string)) return `${where}.answer is ${JSON.stringify(turn.answer)}, expected one of ${ANSWERS.join(', ')}`;
  return saidProblem(move, `${where}.move`, '') ?? saidProblem(turn, where, 'answer_');
}

/** What is wrong with a parsed line as a game, or undefined: every field the readers of games rely on. */
function gameProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'not a game (expected an object with target, turns and outcome, as twentyq writes them)';
  const field = (name: string, ok: boolean, expected: string) => (ok ? undefined : `${name} is ${JSON.stringify(value[name]) ?? 'missing'}, expected ${expected}`);
  const problem =
    field('target', typeof value.target === 'string', 'the id of a candidate') ??
    field('policy', typeof value.policy === 'string', 'the label of a policy') ??
    field('game', isCount(value.game), 'the index of the game (an integer from 0)') ??
    field('seed', Number.isSafeInteger(value.seed), 'an integer') ??
    field('outcome', value.outcome === 'win' || value.outcome === 'loss' || value.outcome === 'error', '"win", "loss" or "error"') ??
    field('error', value.outcome === 'error' ? typeof value.error === 'string' : value.error === undefined, value.outcome === 'error' ? 'the message of the failure' : 'nothing (only a game whose outcome is "error" has one)') ??
    field('questions', isCount(value.questions), 'the number of questions asked') ??
    field('invalid', isCount(value.invalid), 'the number of invalid moves') ??
    field('reward', value.reward === undefined || Number.isFinite(value.reward), 'a number') ??
    field('turns', Array.isArray(value.turns), 'a list of turns');
  if (problem) return problem;
  const turns = value.turns as unknown[];
  for (let i = 0; i < turns.length; i++) {
    const bad = turnProblem(turns[i], i);
    if (bad) return bad;
  }
  return undefined;
}

/** A line as a game, checked; an error names the file and line. */
export function parseGame(file: string, line: JsonlLine): Trajectory {
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    const cut = line.complete ? '' : ': the last line is cut short (a run stopped while writing it); resume the run to drop it, or delete the line';
    throw new GamesFileError(`${file}:${line.number}: not JSON (${(error as Error).message})${cut}`);
  }
  const problem = gameProblem(value);
  if (problem) throw new GamesFileError(`${file}:${line.number}: ${problem}`);
  return value as Trajectory;
}

/** Streams the games of a JSONL file (a stage's output), each line checked to be one. */
export async function* readGames(file: string, chunkSize?: number): AsyncGenerator<Trajectory> {
  for await (const line of jsonlLines(file, chunkSize)) {
    if (line.text.trim().length === 0) continue;
    yield parseGame(file, line);
  }
}

/** Everything an iterable holds, in an array (Array.fromAsync is Node 22). */
export async function collect<T>(items: AsyncIterable<T> | Iterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
