import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from './fs.js';

/**
 * The processes a run starts (launched servers, the Python trainer), each recorded in the run
 * directory while it lives: `processes/<label>.<pid>.json`. A run killed with kill -9 cannot stop
 * them; the next process to work in the directory (a --resume) reads the records and stops those that
 * are still alive and provably the same processes, and only those: a pid is reused once its process
 * has gone, so a record names its process by pid, process group, the kernel's start time of the
 * process and the boot it belongs to, and a process that differs in any of them is left alone.
 */
export interface ProcessRecord {
  label: string;
  pid: number;
  /** Its process group, stopped as a whole (a server's workers, vLLM's engine cores). */
  pgid: number;
  /** The kernel's start time of the process (clock ticks since boot, /proc/PID/stat), and the boot's id. */
  start: string;
  boot: string;
  command: string;
  started_at: string;
}

/** Where a run directory keeps its records. */
export const PROCESSES_DIR = 'processes';

/** What identifies a live process across pid reuse, where the system tells (Linux's /proc); else undefined. */
export function processIdentity(pid: number): { start: string; boot: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: the fields after it are counted from its end
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return { start: fields[19]!, boot };
  } catch {
    return undefined;
  }
}

/**
 * Records a process the run started, in `dir` (the run's processes/ folder); returns what removes the
 * record once the process is known to be gone. Outside a run (no dir) nothing is recorded.
 */
export function recordProcess(dir: string | undefined, label: string, pid: number, command: string): () => void {
  const identity = processIdentity(pid);
  if (dir === undefined || identity === undefined) return () => {};
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${label.replace(/[^\w.-]+/g, '_')}.${pid}.json`);
  const record: ProcessRecord = { label, pid, pgid: pid, ...identity, command, started_at: new Date().toISOString() };
  writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n');
  return () => rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function groupAlive(pgid: number): boolean {
  return alive(-pgid);
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

/** SIGTERM to the group, SIGKILL to what is left after `graceMs`, then waits until no process of it is left. */
export async function endGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < until) await sleep(50);
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGKILL');
  while (groupAlive(pgid)) await sleep(20);
}

/** Why a record's process is not stopped, or undefined when it is the same process, still running. */
function notTheSame(record: ProcessRecord): string | undefined {
  if (!alive(record.pid)) return 'gone';
  const now = processIdentity(record.pid);
  if (now === undefined) return 'alive, but this system cannot tell whether it is the same process: left alone';
  if (now.boot !== record.boot || now.start !== record.start) return 'its pid now belongs to another process: left alone';
  return undefined;
}

/**
 * Stops the recorded processes of a run directory that are still running and provably the ones the
 * run started (their process groups: SIGTERM, then SIGKILL after `graceMs`), says what it did about
 * each, and removes the records. Returns the number of processes stopped.
 */
export async function reapProcesses(dir: string, say: (line: string) => void, graceMs = 10_000): Promise<number> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return 0;
  }
  let stopped = 0;
  for (const file of files) {
    let record: ProcessRecord;
    try {
      record = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProcessRecord;
    } catch {
      say(`processes/${file}: not a process record; removed`);
      rmSync(join(dir, file), { force: true });
      continue;
    }
    const why = notTheSame(record);
    if (why === undefined) {
      say(`stopping ${record.label} (pid ${record.pid}, "${record.command}"), left running by the run's last process, started ${record.started_at}`);
      await endGroup(record.pgid, graceMs);
      stopped++;
    } else if (why !== 'gone') say(`${record.label} (pid ${record.pid}): ${why}`);
    rmSync(join(dir, file), { force: true });
  }
  return stopped;
}
