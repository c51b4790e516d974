import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createProgress } from '../../framework/run/progress.js';

/**
 * A terminal screen, enough for what cli-progress writes: line feed, carriage return, cursor to a
 * column (ESC [ n G), clear to the end of the line (ESC [ 0 K / ESC [ K), save and restore the cursor
 * (ESC 7, ESC 8); modes (ESC [ ? n h/l) are ignored.
 */
class Screen extends Writable {
  readonly isTTY = true;
  readonly columns = 200;
  readonly lines: string[] = [''];
  private row = 0;
  private col = 0;
  private saved = { row: 0, col: 0 };

  override _write(chunk: Buffer, _: BufferEncoding, done: () => void): void {
    const text = chunk.toString('utf8');
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\x1b') {
        const rest = text.slice(i + 1);
        const csi = /^\[(\??)(\d*)([A-Za-z])/.exec(rest);
        if (rest[0] === '7') this.saved = { row: this.row, col: this.col };
        else if (rest[0] === '8') ({ row: this.row, col: this.col } = this.saved);
        else if (csi && !csi[1] && csi[3] === 'G') this.col = Number(csi[2] || 1) - 1;
        else if (csi && !csi[1] && csi[3] === 'K') this.lines[this.row] = this.lines[this.row]!.slice(0, this.col);
        i += csi ? csi[0].length : 1;
      } else if (c === '\n') {
        this.row++;
        this.col = 0;
        this.lines[this.row] ??= '';
      } else if (c === '\r') this.col = 0;
      else {
        const line = this.lines[this.row]!.padEnd(this.col);
        this.lines[this.row] = line.slice(0, this.col) + c + line.slice(this.col + 1);
        this.col++;
      }
    }
    done();
  }
}

const flush = () => new Promise((r) => setImmediate(r));

describe('the progress bar on a terminal', () => {
  it('a message logged while a bar runs stays on the screen, under what comes after it', async () => {
    const screen = new Screen();
    const progress = createProgress('bar', screen as unknown as NodeJS.WriteStream);
    progress.start('01-evaluate random', 3600);
    progress.update(450, { success: 0.13 });
    progress.log('interrupting (SIGINT): stopping at the next batch boundary');
    progress.update(900, { success: 0.13 });
    progress.stop();
    screen.write('stage  policy  games\n');
    await flush();
    const text = screen.lines.join('\n');
    expect(text).toContain('interrupting (SIGINT): stopping at the next batch boundary');
    expect(text).toContain('stage  policy  games');
    // the bar goes on below the message and ends showing the games kept
    const message = screen.lines.findIndex((l) => l.startsWith('interrupting'));
    expect(screen.lines.slice(message + 1).join('\n')).toMatch(/01-evaluate random \[.*\] 900\/3600 games/);
  });
});
