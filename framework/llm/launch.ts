import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { packagePath } from '../util/paths.js';
import { endGroup, recordProcess, signalGroup } from '../util/processes.js';

/**
 * A server the run starts and stops (`twentyq serve`, `vllm serve`, `transformers serve`): its own
 * process group, so that stopping it ends every process it started (vLLM's engine cores included),
 * and so that the terminal's Ctrl-C reaches the run, which stops it in its own time, not the server.
 * Its stdout and stderr go straight to a log file: the server writes there even while the run is busy,
 * and what it said is what an error about it quotes.
 */

export interface LaunchSpec {
  /**
   * The command: a string runs through /bin/sh, argv runs as is. `{PORT}` is replaced by a free port;
   * without it the server must print the URL it listens on ("listening on http://...", "running on ...").
   * A first word `twentyq` is this installation's CLI (no global install needed).
   */
  command: string | readonly string[];
  /** Polled until it answers 200: an absolute URL (`{PORT}` replaced) or a path on the server (`/health`); default <base_url>/models. */
  ready_url?: string;
  /** Seconds the server has to become ready. */
  timeout_s: number;
  /** Added to the environment the server inherits (never written to the log). */
  env?: Record<string, string>;
  /** Where its output goes (appended to). */
  log: string;
  /** Milliseconds between SIGTERM and SIGKILL when it is stopped (default 10 s). */
  grace_ms?: number;
  /** The run directory's processes/ folder: the server is recorded there while it runs (see util/processes.ts). */
  processes?: string;
  /** Names the server in that record (default: the log's file name). */
  label?: string;
}

export interface LaunchedServer {
  /** The base URL an OpenAI client takes, ending in /v1. */
  base_url: string;
  /** The server's pid, also its process group's id. */
  pid: number;
  /** The command as written, for messages. */
  command: string;
  log: string;
  /**
   * Rejects with a LaunchError (naming the command, with the last lines of its log) if the server
   * exits without being stopped; never settles otherwise. Race requests against it.
   */
  died: Promise<never>;
  /** The error `died` rejected with, once the server died. */
  readonly failure: LaunchError | undefined;
  /** Ends its whole process group: SIGTERM, then SIGKILL after the grace period. Idempotent. */
  stop(): Promise<void>;
  /** Its log's last lines since this launch. */
  tail(lines?: number): string;
}

/** A launched server that would not start, or died. */
export class LaunchError extends Error {}

const DEFAULT_GRACE_MS = 10_000;
const POLL_MS = 200;
const TAIL_LINES = 20;
/** The listening line servers print: twentyq serve and llama.cpp ("listening on"), uvicorn for vLLM and transformers ("running on"). */
const LISTENING = /\b(?:listening|running) on (https?):\/\/(\[[^\]]+\]|[^\s/:]+):(\d+)(\/\S*)?/i;

/** Starts the server and waits until it is ready; a server that exits first or is not ready in time is an error quoting its log. */
export async function launchServer(spec: LaunchSpec): Promise<LaunchedServer> {
  const command = display(spec.command);
  const port = mentionsPort(spec) ? await freePort() : undefined;
  const argv = commandLine(spec.command, port);
  const logFd = openSync(spec.log, 'a');
  appendFileSync(logFd, `[twentyq] ${new Date().toISOString()} launching: ${command}\n`);
  // what this launch's server says starts here: an earlier launch's lines (a resumed run) are not its own
  const start = fstatSync(logFd).size;
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, ...spec.env } });
  closeSync(logFd);
  // the run never waits on its server to exit: stop() or the exit hook ends it
  child.unref();
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`could not be started (${error.message}: is it installed, and on the PATH?)`));
    child.once('exit', (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`));
  });
  const pid = child.pid;
  const tail = (lines = TAIL_LINES) => readTail(spec.log, start, lines);
  const quote = (what: string) => new LaunchError(`launched server "${command}" ${what}; the last lines of its log ${spec.log}:\n${indent(tail())}`);
  if (pid === undefined) throw quote(await exited);
  note(spec.log, `pid ${pid}, its own process group (kill -- -${pid} stops it)`);
  // The last resort: a process that exits (a second Ctrl-C, an uncaught error) cannot wait for a grace
  // period, so the server is killed at once; none outlives it. (A kill -9 of the process itself leaves
  // the server: its log's first lines say how to stop it, and a --resume stops it from its record.)
  const onExit = () => signalGroup(pid, 'SIGKILL');
  process.on('exit', onExit);
  const forget = recordProcess(spec.processes, spec.label ?? basename(spec.log, '.log'), pid, command);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await endGroup(pid, spec.grace_ms ?? DEFAULT_GRACE_MS);
      process.off('exit', onExit);
      forget();
      note(spec.log, 'stopped');
    })());

  let failure: LaunchError | undefined;
  let ready = false;
  const died = new Promise<never>((_resolve, reject) => {
    void exited.then((how) => {
      // before it is ready, an exit is the launch's own error
      if (stopping || !ready) return;
      failure = quote(`${how} while the run was using it`);
      reject(failure);
      // what it started may outlive it (vLLM's engine cores): ended too
      void stop();
    });
  });
  died.catch(() => {}); // a death nobody races is still seen through `failure` and the stage's errors

  let base_url: string | undefined = port === undefined ? undefined : `http://127.0.0.1:${port}/v1`;
  const deadline = Date.now() + spec.timeout_s * 1000;
  try {
    for (;;) {
      base_url ??= listeningUrl(readFrom(spec.log, start));
      if (base_url && (await answers200(readyUrl(spec.ready_url, base_url, port)))) break;
      const outcome = await Promise.race([exited, sleep(POLL_MS, undefined)]);
      if (outcome !== undefined) throw stopping ? new LaunchError(`launched server "${command}" was stopped before it was ready`) : quote(`${outcome} before it was ready`);
      if (Date.now() > deadline) {
        const waitedFor = base_url
          ? `did not answer GET ${readyUrl(spec.ready_url, base_url, port)} with 200 within ${spec.timeout_s} s (a big model may need a longer launch.timeout_s)`
          : `printed no "listening on URL" line within ${spec.timeout_s} s, and its command has no {PORT}: put {PORT} where it takes its port (e.g. --port {PORT})`;
        throw quote(waitedFor);
      }
    }
    ready = true;
    if (child.exitCode !== null || child.signalCode !== null) throw quote(`${await exited} as soon as it was ready`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    base_url,
    pid,
    command,
    log: spec.log,
    died,
    stop,
    tail,
    get failure() {
      return failure;
    },
  };
}

function display(command: LaunchSpec['command']): string {
  return typeof command === 'string' ? command : command.map((a) => (/^[\w@%+=:,./{}-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

function mentionsPort(spec: LaunchSpec): boolean {
  return display(spec.command).includes('{PORT}');
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** The argv to spawn: {PORT} filled in, a leading `twentyq` made this installation's CLI, a string run by sh. */
function commandLine(command: LaunchSpec['command'], port: number | undefined): string[] {
  const fill = (s: string) => (port === undefined ? s : s.replaceAll('{PORT}', String(port)));
  const cli = [process.execPath, packagePath('bin', 'run.js')];
  if (typeof command === 'string') return ['/bin/sh', '-c', fill(command).replace(/^\s*twentyq(?=\s|$)/, cli.map(shellQuote).join(' '))];
  if (command.length === 0) throw new LaunchError('launch.command is empty: give the command line that starts the server');
  const argv = command.map(fill);
  return argv[0] === 'twentyq' ? [...cli, ...argv.slice(1)] : argv;
}

/** A port nothing listens on now: the OS picks it, then it is given back for the server to take. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The base URL from the server's listening line, a wildcard address made the loopback one. */
function listeningUrl(output: string): string | undefined {
  const m = LISTENING.exec(output);
  if (!m) return undefined;
  const host = m[2] === '0.0.0.0' ? '127.0.0.1' : m[2] === '[::]' ? '[::1]' : m[2];
  const path = (m[4] ?? '').replace(/\/+$/, '');
  return `${m[1]}://${host}:${m[3]}${path.endsWith('/v1') ? path : '/v1'}`;
}

function readyUrl(ready: string | undefined, base: string, port: number | undefined): string {
  if (ready === undefined) return `${base}/models`;
  const filled = port === undefined ? ready : ready.replaceAll('{PORT}', String(port));
  return new URL(filled, base).href;
}

/** One readiness probe: a fresh connection (no pool to outlive the server), 200 or not. */
function answers200(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function note(log: string, text: string): void {
  appendFileSync(log, `[twentyq] ${new Date().toISOString()} ${text}\n`);
}

const TAIL_BYTES = 64 * 1024;
const SCAN_BYTES = 4 * 1024 * 1024;

/** Up to `max` bytes of the log from `from` on (the file may have been rotated away: then nothing). */
function readBytes(file: string, from: number, max: number, fromEnd: boolean): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const begin = fromEnd ? Math.max(from, size - max) : from;
    const length = Math.max(0, Math.min(max, size - begin));
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, begin);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function readFrom(file: string, from: number): string {
  return readBytes(file, from, SCAN_BYTES, false);
}

function readTail(file: string, from: number, lines: number): string {
  const text = readBytes(file, from, TAIL_BYTES, true).replace(/\n+$/, '');
  return text.split('\n').slice(-lines).join('\n');
}

function indent(text: string): string {
  return text === '' ? '  (nothing)' : text.replace(/^/gm, '  ');
}
