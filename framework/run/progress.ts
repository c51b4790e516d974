import cliProgress from 'cli-progress';

export interface ProgressStats {
  /** Running success rate of the games done so far. */
  success?: number;
  /** Anything else worth showing (loss, reward, ...), already formatted. */
  note?: string;
}

/** Progress of long work: a bar on a terminal, a plain line every few seconds elsewhere (logs, CI). */
export interface Progress {
  start(label: string, total: number, unit?: string): void;
  update(done: number, stats?: ProgressStats): void;
  stop(): void;
  /** A message that must not be mangled by the bar. */
  log(line: string): void;
}

function describe(stats: ProgressStats | undefined): string {
  const parts: string[] = [];
  if (stats?.success !== undefined) parts.push(`success ${(100 * stats.success).toFixed(1)}%`);
  if (stats?.note) parts.push(stats.note);
  return parts.join(', ');
}

/** "45s", "1m05s", "2h03m": whole seconds rounded up first, so that 119.5 s reads 2m00s, never 1m60s. */
export function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

class BarProgress implements Progress {
  private bar?: cliProgress.SingleBar;
  /** What the bar shows, to draw it again below a message. */
  private shown = { label: '', total: 0, unit: 'games', done: 0, stats: undefined as ProgressStats | undefined };

  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(label: string, total: number, unit = 'games'): void {
    this.stop();
    this.shown = { label, total, unit, done: 0, stats: undefined };
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `${label} [{bar}] {value}/{total} ${unit} | {stats} | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: false,
        barsize: 24,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { stats: '' });
  }

  update(done: number, stats?: ProgressStats): void {
    Object.assign(this.shown, { done, stats });
    this.bar?.update(done, { stats: describe(stats) });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /**
   * cli-progress saves the cursor when a bar starts and restores it when the bar stops: whatever was
   * written below a running bar would be written over. So the bar ends, the line goes below it, and a
   * new bar carries on from the same count.
   */
  log(line: string): void {
    if (!this.bar) return void this.stream.write(line + '\n');
    const { label, total, unit, done, stats } = this.shown;
    this.stop();
    this.stream.write(line + '\n');
    this.start(label, total, unit);
    this.update(done, stats);
  }
}

class LineProgress implements Progress {
  private label = '';
  private total = 0;
  private unit = 'games';
  private started = 0;
  private lastPrint = 0;
  private last = { done: 0, stats: undefined as ProgressStats | undefined };
  /** The line printed last: the closing line is not printed again when the last update printed it. */
  private printed = '';

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly everyMs: number,
  ) {}

  start(label: string, total: number, unit = 'games'): void {
    this.stop();
    Object.assign(this, { label, total, unit, started: Date.now(), lastPrint: Date.now(), last: { done: 0, stats: undefined }, printed: '' });
  }

  update(done: number, stats?: ProgressStats): void {
    this.last = { done, stats };
    if (Date.now() - this.lastPrint >= this.everyMs) this.print();
  }

  /** The line of the current state; `timing` is its ETA, or its time once every unit is done. */
  private line(): { state: string; timing: string } {
    const { done, stats } = this.last;
    const elapsed = (Date.now() - this.started) / 1000;
    const rest = done > 0 ? (elapsed / done) * (this.total - done) : Infinity;
    const extra = describe(stats);
    return { state: `${this.label}: ${done}/${this.total} ${this.unit}${extra ? ', ' + extra : ''}`, timing: done < this.total ? `, ETA ${eta(rest)}` : ` in ${elapsed.toFixed(1)}s` };
  }

  private print(): void {
    const { state, timing } = this.line();
    this.stream.write(`${state}${timing}\n`);
    this.printed = state;
    this.lastPrint = Date.now();
  }

  stop(): void {
    // the closing line, unless the last one printed already said the same (but for the time)
    if (this.label && this.line().state !== this.printed) this.print();
    this.label = '';
  }

  log(line: string): void {
    this.stream.write(line + '\n');
  }
}

class SilentProgress implements Progress {
  start(): void {}
  update(): void {}
  stop(): void {}
  log(): void {}
}

export function createProgress(mode: 'auto' | 'bar' | 'lines' | 'silent' = 'auto', stream: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === 'silent') return new SilentProgress();
  if (mode === 'bar' || (mode === 'auto' && stream.isTTY)) return new BarProgress(stream);
  return new LineProgress(stream, 5000);
}
