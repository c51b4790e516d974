import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { PROCESSES_DIR } from '../util/processes.js';
import { devicesOf, devicesText, sharedDevice } from './devices.js';
import { launchServer, type LaunchedServer } from './launch.js';

/**
 * The `launch` option of the plugins that talk to a model (the `api` policy, the `llm` answerer) and
 * the registry of the servers a run starts (each run has its own, see Launches): plugins that name
 * the same launch share one server; a server no later stage uses, or that holds a device a training
 * stage needs, is stopped, and started again when it is asked for; all stop when the run ends.
 */

const COMMAND = {
  type: ['string', 'array'],
  minLength: 1,
  minItems: 1,
  items: { type: 'string' },
  description: 'The command line that starts the server: a string (run by /bin/sh) or a list of arguments. {PORT} is replaced by a free port; without it, the server must print the URL it listens on. A first word `twentyq` is this twentyq.',
};

const launchFields = Type.Object(
  {
    command: Type.Unsafe<string | string[]>(COMMAND),
    ready_url: Type.Optional(Type.String({ minLength: 1, description: 'Polled until it answers 200: a path on the server (e.g. /health) or a URL ({PORT} replaced). Default: <base_url>/models.' })),
    // not defaulted: a plain command has no object for ajv to fill in, so `launch` reads the default from here
    timeout_s: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 120, description: 'Seconds the server has to become ready (loading a big model takes minutes).' })),
    device: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'The device the server holds (cuda:0; several as cuda:0,cuda:1; cuda and auto count as cuda:0): it is stopped before a training stage on that device and started again after. cpu, or none, never clashes.',
      }),
    ),
    env: Type.Optional(
      Type.Unsafe<Record<string, string>>({
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'Variables added to the environment the server inherits (never written to its log); secrets belong in the environment the run is started with.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** As an experiment writes it: a command line, or the command with its settings. */
export type LaunchOption = string | string[] | Static<typeof launchFields>;

/** Spread LAUNCH_OPTIONS.properties into a plugin's option schema: it adds the optional `launch`. */
export const LAUNCH_OPTIONS = {
  properties: {
    launch: Type.Optional(
      Type.Unsafe<LaunchOption>({
        ...COMMAND,
        ...launchFields,
        type: ['string', 'array', 'object'],
        description:
          'Start a server speaking the OpenAI protocol for this run (e.g. "twentyq serve --port {PORT}", "vllm serve Qwen/Qwen3-4B --port {PORT}"), wait until it answers, use it, and stop its whole process group when the run ends. Its output goes to servers/<label>.log in the run directory. A plain command, or { command, ready_url, timeout_s, device, env }.',
      }),
    ),
  },
};

/** The one place the default lives: the schema. */
const DEFAULT_TIMEOUT_S = launchFields.properties.timeout_s.default as number;

type LaunchSettings = Static<typeof launchFields>;

function settingsOf(option: LaunchOption): LaunchSettings {
  return typeof option === 'string' || Array.isArray(option) ? { command: option } : option;
}

/** What makes two launches one server: the command line and the environment. */
export function launchKey(option: LaunchOption): string {
  const spec = settingsOf(option);
  return JSON.stringify([spec.command, spec.env ?? {}]);
}

/** One line of `servers/events.jsonl`: what happened to a launched server, when, in which stage and why. */
export interface ServerEvent {
  event: 'start' | 'stop';
  /** The plugin label that names the server's log. */
  server: string;
  command: string;
  devices: string[];
  stage: string;
  why: string;
  at: string;
}

/** A server of the run: how it is launched, where it logs, the devices it holds, who holds it, and the process while it runs. */
interface Entry {
  spec: LaunchSettings;
  label: string;
  log: string;
  devices: string[];
  /** The plugin instances that talk to it (see ModelLayer.models): a later stage that plays one of them keeps it up. */
  holders: Set<string>;
  /** Starting or running; undefined while stopped. */
  server: Promise<LaunchedServer> | undefined;
  /** The server once it is up, until it is stopped. */
  up: LaunchedServer | undefined;
  starts: number;
}

/**
 * The servers one run launched. A server starts when a plugin asks for it and stays up while a
 * later stage plays a plugin that holds it; `retain` stops those no later stage uses, `release` those
 * on a device a training stage needs; a server stopped that way is started again by the next call
 * that needs it. Every start and stop goes to the run's log and to servers/events.jsonl.
 */
export class Launches {
  private readonly entries = new Map<string, Entry>();
  private scratch: string | undefined;
  /** The stage now running, named in the events. */
  stage = '';

  constructor(private readonly settings: { runDir?: string; say?: (line: string) => void } = {}) {}

  /**
   * The server a launch option names, started now unless it is running (its output to
   * servers/<label>.log), shared by every later use of the same command and environment. A server that
   * died is started again for whoever asks next.
   */
  async acquire(option: LaunchOption, label: string, holder?: string): Promise<LaunchedServer> {
    const key = launchKey(option);
    let entry = this.entries.get(key);
    if (!entry) {
      const spec = settingsOf(option);
      entry = { spec, label, log: this.serverLog(label), devices: devicesOf(spec.device), holders: new Set(), server: undefined, up: undefined, starts: 0 };
      this.entries.set(key, entry);
    }
    if (holder !== undefined) entry.holders.add(holder);
    for (;;) {
      const current = entry.server;
      if (!current) return this.start(entry);
      const server = await current.catch(() => undefined);
      if (server && !server.failure) return server;
      // one caller starts it again; the others wait for that one
      if (entry.server === current) return this.start(entry);
    }
  }

  /** The server up now for a launch option (dead or alive), or undefined while it is stopped or starting. */
  serving(option: LaunchOption): LaunchedServer | undefined {
    return this.entries.get(launchKey(option))?.up;
  }

  private start(entry: Entry): Promise<LaunchedServer> {
    const { runDir } = this.settings;
    entry.starts++;
    this.record(entry, 'start', entry.starts === 1 ? 'asked for' : 'asked for again');
    const starting = launchServer({
      ...entry.spec,
      timeout_s: entry.spec.timeout_s ?? DEFAULT_TIMEOUT_S,
      log: entry.log,
      label: entry.label,
      ...(runDir === undefined ? {} : { processes: join(runDir, PROCESSES_DIR) }),
    });
    entry.server = starting;
    starting.then(
      (server) => void (entry.server === starting && (entry.up = server)),
      () => void (entry.server === starting && (entry.server = undefined)),
    );
    return starting;
  }

  private async stopEntry(entry: Entry, why: string): Promise<void> {
    const starting = entry.server;
    if (!starting) return;
    entry.server = undefined;
    entry.up = undefined;
    const server = await starting.catch(() => undefined);
    if (!server) return;
    this.record(entry, 'stop', why);
    await server.stop();
  }

  /**
   * Stops the server a launch option started, if any, and forgets it (a backend whose weights changed
   * serves the new ones from a new server); a later `acquire` of the same option starts a fresh one.
   */
  async stop(option: LaunchOption): Promise<void> {
    const key = launchKey(option);
    const entry = this.entries.get(key);
    this.entries.delete(key);
    if (entry) await this.stopEntry(entry, 'its plugin is done with it');
  }

  /**
   * Stops every running server that the stages still to run will not use: none of its holders is in
   * `holders` (the plugin instances those stages play) and its launch is not in `launches` (what their
   * plugins declare they will launch, see PluginDef.launches).
   */
  async retain(holders: ReadonlySet<string>, launches: ReadonlySet<string>): Promise<void> {
    const idle = [...this.entries].filter(([key, e]) => e.server && !launches.has(key) && ![...e.holders].some((h) => holders.has(h))).map(([, e]) => e);
    await Promise.all(idle.map((e) => this.stopEntry(e, 'no later stage uses it')));
  }

  /** Stops every running server on one of `device`'s devices, before `stage` trains there; it starts again when asked for. */
  async release(device: string | undefined, stage: string): Promise<void> {
    const needed = devicesOf(device);
    const clashing = [...this.entries.values()].map((e) => ({ e, on: sharedDevice(e.devices, needed) })).filter(({ e, on }) => e.server && on !== undefined);
    await Promise.all(clashing.map(({ e, on }) => this.stopEntry(e, `stage ${stage} trains on ${on}`)));
  }

  /** Stops every server (those starting included): the end of a run, on success, failure or Ctrl-C. */
  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => this.stopEntry(e, 'the run ended')));
  }

  private record(entry: Entry, event: ServerEvent['event'], why: string): void {
    const line: ServerEvent = { event, server: entry.label, command: displayCommand(entry.spec.command), devices: entry.devices, stage: this.stage, why, at: new Date().toISOString() };
    // `auto` is planned as cuda:0 whatever the machine has (devicesOf): the line says so, not only cuda:0 on a machine without a GPU
    const auto = entry.spec.device?.trim().toLowerCase() === 'auto' ? ' (device: auto)' : '';
    this.settings.say?.(`servers: ${event === 'start' ? 'starting' : 'stopping'} ${line.server} on ${devicesText(line.devices)}${auto}${line.stage ? ` in stage ${line.stage}` : ''}: ${why}`);
    appendFileSync(join(this.folder(), 'events.jsonl'), JSON.stringify(line) + '\n');
  }

  private folder(): string {
    const dir = this.settings.runDir ? join(this.settings.runDir, 'servers') : (this.scratch ??= mkdtempSync(join(tmpdir(), 'twentyq-servers-')));
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Where a server's log goes: servers/<label>.log in the run directory, or a temporary folder outside a run. */
  private serverLog(label: string): string {
    return join(this.folder(), `${label.replace(/[^\w.-]+/g, '_')}.log`);
  }
}

function displayCommand(command: string | readonly string[]): string {
  return typeof command === 'string' ? command : command.join(' ');
}
