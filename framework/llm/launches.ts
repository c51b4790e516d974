import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { PROCESSES_DIR } from '../util/processes.js';
import { launchServer, stopLaunched, type LaunchedServer } from './launch.js';

/**
 * The `launch` option of the plugins that talk to a model (the `api` policy, the `llm` answerer) and
 * the process-wide registry of the servers it starts: plugins that name the same launch share one
 * server, and the runner stops them all when the run ends, however it ends.
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
          'Start a server speaking the OpenAI protocol for this run (e.g. "twentyq serve --port {PORT}", "vllm serve Qwen/Qwen3-4B --port {PORT}"), wait until it answers, use it, and stop its whole process group when the run ends. Its output goes to servers/<label>.log in the run directory. A plain command, or { command, ready_url, timeout_s, env }.',
      }),
    ),
  },
};

/** The one place the default lives: the schema. */
const DEFAULT_TIMEOUT_S = launchFields.properties.timeout_s.default as number;

/** The servers launched in this process, by command line and environment. */
const shared = new Map<string, Promise<LaunchedServer>>();

/**
 * The server a launch option names: started on first use (its output to `log`), shared by every later
 * use of the same command and environment. A server that died is started again for whoever asks next.
 */
export async function launch(option: LaunchOption, log: string, processes?: string): Promise<LaunchedServer> {
  const spec = typeof option === 'string' || Array.isArray(option) ? { command: option } : option;
  const key = JSON.stringify([spec.command, spec.env ?? {}]);
  const known = shared.get(key);
  if (known) {
    const server = await known.catch(() => undefined);
    if (server && !server.failure) return server;
  }
  const starting = launchServer({ ...spec, timeout_s: spec.timeout_s ?? DEFAULT_TIMEOUT_S, log, ...(processes === undefined ? {} : { processes }) });
  shared.set(key, starting);
  starting.catch(() => shared.get(key) === starting && shared.delete(key));
  return starting;
}

/**
 * Stops the server a launch option started, if any, and forgets it (a backend whose weights changed
 * serves the new ones from a new server); a later `launch` of the same option starts a fresh one.
 */
export async function stopLaunch(option: LaunchOption): Promise<void> {
  const spec = typeof option === 'string' || Array.isArray(option) ? { command: option } : option;
  const key = JSON.stringify([spec.command, spec.env ?? {}]);
  const known = shared.get(key);
  shared.delete(key);
  const server = await known?.catch(() => undefined);
  await server?.stop();
}

/** Stops every launched server (those starting included) and forgets them: the end of a run, on success, failure or Ctrl-C. */
export async function stopAll(): Promise<void> {
  shared.clear();
  await stopLaunched();
}

let scratch: string | undefined;

/** Where a server's log goes: servers/<label>.log in the run directory, or a temporary folder outside a run. */
export function serverLog(runDir: string | undefined, label: string): string {
  const dir = runDir ? join(runDir, 'servers') : (scratch ??= mkdtempSync(join(tmpdir(), 'twentyq-servers-')));
  mkdirSync(dir, { recursive: true });
  return join(dir, `${label.replace(/[^\w.-]+/g, '_')}.log`);
}

export interface Endpoint {
  /** The base URL to send requests to, ending in /v1 for a launched server. */
  base_url: string;
  /**
   * What names the endpoint in response-cache keys: base_url, or for a launched server `launch: <command>`,
   * since its port changes from run to run and a rerun must still find its answers.
   */
  cache_id: string;
  /** The launched server behind it, when `launch` is set: race requests against its `died`. */
  server?: LaunchedServer;
}

/**
 * The endpoint a plugin talks to: its launched server's when `launch` is set (started now, or shared),
 * else `base_url` as given. `runDir`: the plugin context's `runDir`; `label`: the plugin's label,
 * which names the log.
 */
export async function endpointFor(options: { base_url: string; launch?: LaunchOption }, runDir: string | undefined, label: string): Promise<Endpoint> {
  if (options.launch === undefined) return { base_url: options.base_url, cache_id: options.base_url };
  const server = await launch(options.launch, serverLog(runDir, label), runDir === undefined ? undefined : join(runDir, PROCESSES_DIR));
  return { base_url: server.base_url, cache_id: `launch: ${server.command}`, server };
}
