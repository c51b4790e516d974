import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { writeAll, writeFileAtomic } from '../util/fs.js';

/** Where a point sits on a curve: its optimiser step, iteration or epoch (the first of them it has). */
function positionOf(point: Record<string, unknown>): { key: string; at: number } | undefined {
  for (const key of ['step', 'iteration', 'epoch']) if (typeof point[key] === 'number') return { key, at: point[key] };
  return undefined;
}

interface Point {
  position: { key: string; at: number } | undefined;
  line: string;
}

/**
 * A training stage's curve (<stage>.curve.jsonl), a line per step. A stage run again after an
 * interruption keeps the points of its first attempt that the new one does not cover: a point at step
 * p replaces the earlier attempt's points from step p on. A backend that continues from a checkpoint
 * at step N (trl) goes on from N + 1, so the points up to N stay; one that starts again (local) starts
 * at its first epoch and replaces them all. So a resumed stage's curve is whole.
 */
export class CurveWriter {
  private fd: number | undefined;
  private earlier: Point[];
  /** This attempt's lines, to write again after the earlier points when a cut rewrites the file. */
  private readonly lines: string[] = [];

  constructor(
    readonly path: string,
    resuming: boolean,
  ) {
    this.earlier = resuming && existsSync(path) ? CurveWriter.points(path) : [];
    // a first attempt starts from an empty file, as every stage file does
    if (!resuming) writeFileAtomic(path, '');
  }

  private static points(path: string): Point[] {
    // a line cut by a kill is not a point
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        try {
          return [{ position: positionOf(JSON.parse(line) as Record<string, unknown>), line }];
        } catch {
          return [];
        }
      });
  }

  write(point: Record<string, unknown>): void {
    const line = JSON.stringify(point);
    const position = positionOf(point);
    const covered = (p: Point) => position !== undefined && p.position?.key === position.key && p.position.at >= position.at;
    if (this.fd === undefined || this.earlier.some(covered)) {
      // the earlier points this attempt covers go; the rest stay before this attempt's
      this.earlier = this.earlier.filter((p) => !covered(p));
      if (this.fd !== undefined) closeSync(this.fd);
      writeFileAtomic(this.path, [...this.earlier.map((p) => p.line), ...this.lines].map((l) => l + '\n').join(''));
      this.fd = openSync(this.path, 'a');
    }
    writeAll(this.fd, line + '\n');
    this.lines.push(line);
  }

  /** Ends the curve; an attempt that wrote no point leaves the earlier one as it was. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
