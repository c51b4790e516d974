import { open } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import { TRAJECTORY } from '../game/trajectory.js';
import type { Trajectory } from '../game/types.js';
import { impossible, SeenGames, type GameChecks } from './checks.js';

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

/**
 * Games are checked by their own ajv instance: the first problem is enough for a message (a games file
 * is read by the million lines), moves are told apart by their kind, and a number must be finite.
 */
const ajv = new Ajv({ allErrors: false, discriminator: true, strict: false, strictNumbers: true, verbose: true });
const validateGame = ajv.compile<Trajectory>(TRAJECTORY);

/** Where a value is in a game, as a reader writes it: turns[0].move.text. */
function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

const shown = (value: unknown) => JSON.stringify(value) ?? 'missing';

/** What is wrong with a game, from ajv's first error and the words the schema gives each field. */
function gameProblem(e: ErrorObject): string {
  const at = fieldPath(e.instancePath);
  const schema = (e.parentSchema ?? {}) as { expected?: string; kinds?: string; properties?: Record<string, { expected?: string; missing?: string }> };
  if (e.keyword === 'required') {
    const field = String(e.params.missingProperty);
    const own = schema.properties?.[field];
    if (own?.missing) return `${at} ${own.missing}`;
    return `${at ? `${at}.` : ''}${field} is missing, expected ${own?.expected ?? 'a value'}`;
  }
  if (e.keyword === 'discriminator') return `${at}.kind is ${shown(e.params.tagValue)}, expected ${schema.kinds ?? 'another kind'}`;
  // the game itself is not an object: it is no game at all
  if (at === '') return schema.expected ?? 'not a game';
  return `${at} is ${shown(e.data)}, expected ${schema.expected ?? e.message ?? 'something else'}`;
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
  if (!validateGame(value)) throw new GamesFileError(`${file}:${line.number}: ${gameProblem(validateGame.errors![0]!)}`);
  return value;
}

/** The play of a game: its policy, and its answerer when the stage played several. */
export function playKey(game: { policy: string; answerer?: string }): string {
  return game.answerer === undefined ? game.policy : `${game.policy}\t${game.answerer}`;
}

const describePlay = (game: Trajectory) => `game ${game.game} of ${game.policy}${game.answerer === undefined ? '' : ` against ${game.answerer}`}`;

/**
 * The checks of one file beyond each line's shape: a game that cannot be (see `impossible`), and a game
 * that is there twice. Call `check` on each game in the file's order.
 */
export class GamesChecker {
  private readonly seen = new SeenGames();

  constructor(
    readonly file: string,
    private readonly checks: GameChecks = {},
  ) {}

  async check(game: Trajectory, line: JsonlLine): Promise<void> {
    const problem = impossible(game, this.checks);
    if (problem) throw new GamesFileError(`${this.file}:${line.number}: ${problem}`);
    if (!this.seen.add(playKey(game), game.game)) {
      throw new GamesFileError(`${this.file}:${line.number}: ${describePlay(game)} is in the file twice (first at line ${await this.firstLine(game)}); a file holds each game once`);
    }
  }

  /** The line a game first appears on (read again: only a file with a repeated game pays for it). */
  private async firstLine(game: Trajectory): Promise<number | undefined> {
    for await (const line of jsonlLines(this.file)) {
      try {
        const other = JSON.parse(line.text) as Trajectory;
        if (other.game === game.game && playKey(other) === playKey(game)) return line.number;
      } catch {
        // a line that is not a game does not hold it
      }
    }
    return undefined;
  }
}

/**
 * Streams the games of a JSONL file (a stage's output), each line checked to be one, and the file to
 * hold nothing that cannot be: no game twice, and, with `checks`, no target or guess outside the domain
 * and no game past the budget. Every command that reads games reads them here.
 */
export async function* readGames(file: string, checks: GameChecks = {}, chunkSize?: number): AsyncGenerator<Trajectory> {
  const checker = new GamesChecker(file, checks);
  for await (const line of jsonlLines(file, chunkSize)) {
    if (line.text.trim().length === 0) continue;
    const game = parseGame(file, line);
    await checker.check(game, line);
    yield game;
  }
}

/** Everything an iterable holds, in an array (Array.fromAsync is Node 22). */
export async function collect<T>(items: AsyncIterable<T> | Iterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
