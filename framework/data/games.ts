import { readFileSync } from 'node:fs';
import type { Trajectory } from '../game/types.js';

/** A games file that cannot be read as trajectories; names the file and line. */
export class GamesFileError extends Error {}

/** Reads a JSONL file of trajectories (a stage's output), checking each line is one. */
export function readGames(file: string): Trajectory[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new GamesFileError(`cannot read games file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const games: Trajectory[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.length === 0) continue;
    let game: Trajectory;
    try {
      game = JSON.parse(line) as Trajectory;
    } catch (error) {
      throw new GamesFileError(`${file}:${i + 1}: not JSON (${(error as Error).message})`);
    }
    if (typeof game !== 'object' || game === null || typeof game.target !== 'string' || !Array.isArray(game.turns) || (game.outcome !== 'win' && game.outcome !== 'loss')) {
      throw new GamesFileError(`${file}:${i + 1}: not a game (expected target, turns and outcome, as twentyq writes them)`);
    }
    games.push(game);
  }
  return games;
}
