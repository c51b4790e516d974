import { afterEach, describe, expect, it, vi } from 'vitest';
import { Writable } from 'node:stream';
import { createProgress, eta } from '../../framework/run/progress.js';

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

/** A stream that keeps what is written to it, as a log file or a pipe would. */
class Log extends Writable {
  text = '';
  override _write(chunk: Buffer, _: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

describe('progress as plain lines (not a terminal)', () => {
  afterEach(() => void vi.useRealTimers());

  it('prints the closing line once, even when the last update printed it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const log = new Log();
    const progress = createProgress('lines', log as unknown as NodeJS.WriteStream);
    progress.start('plain-sft weighted-sft', 8, 'epochs');
    // a line every 5 s: both updates come 6 s after the one before, so both print
    vi.advanceTimersByTime(6000);
    progress.update(4, { note: 'loss 0.741' });
    vi.advanceTimersByTime(6000);
    progress.update(8, { note: 'loss 0.473' });
    progress.stop();
    expect(log.text.split('\n').filter((l) => l.startsWith('plain-sft weighted-sft: 4/8 epochs, loss 0.741, ETA 6s'))).toHaveLength(1);
    const closing = log.text.split('\n').filter((l) => l.startsWith('plain-sft weighted-sft: 8/8 epochs'));
    expect(closing).toHaveLength(1);
    expect(closing[0]).toBe('plain-sft weighted-sft: 8/8 epochs, loss 0.473 in 12.0s');
    // a stage stopped half way says where it stopped, once
    progress.start('eval', 10);
    progress.update(3, { success: 0.5 });
    progress.stop();
    expect(log.text.split('\n').filter((l) => l.startsWith('eval: 3/10 games, success 50.0%, ETA'))).toHaveLength(1);
  });

  it('writes an ETA in whole minutes and seconds: never "1m60s"', () => {
    expect([eta(0.2), eta(59), eta(59.5), eta(60), eta(119.5), eta(3599.2), eta(3600), eta(7380), eta(Infinity)]).toEqual(['1s', '59s', '1m00s', '1m00s', '2m00s', '1h00m', '1h00m', '2h03m', '?']);
  });
});
