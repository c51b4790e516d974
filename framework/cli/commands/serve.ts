import { Flags } from '@oclif/core';
import { FAIL_STATUSES, type FailStatus } from '../../llm/faults.js';
import { DEFAULT_LIMITS, LIMIT_FLAGS, startServer, type ServeLimits } from '../../llm/serve/index.js';
import { DEFAULT_PLUGINS } from '../../plugins/builtins.js';
import { refFromFlag } from '../interactive.js';
import { TwentyqCommand, UsageError } from '../shared.js';

const rate = (description: string) => Flags.string({ default: '0', description, helpValue: 'p' });

function probability(name: string, value: string): number {
  const p = Number(value);
  if (value.trim() === '' || !(p >= 0 && p <= 1)) throw new UsageError(`--${name} must be a probability between 0 and 1, got "${value}"`);
  return p;
}

function statuses(value: string): FailStatus[] {
  return value.split(',').map((s) => {
    const status = Number(s.trim());
    if (!(FAIL_STATUSES as readonly number[]).includes(status)) throw new UsageError(`--fail-status takes ${FAIL_STATUSES.join(', ')} or a comma list of them, got "${s.trim()}"`);
    return status as FailStatus;
  });
}

/** The environment variable the key is read from unless --api-key-env names another (vLLM reads VLLM_API_KEY the same way). */
export const DEFAULT_KEY_ENV = 'TWENTYQ_SERVE_API_KEY';

const limit = (key: keyof ServeLimits, description: string) => Flags.integer({ min: 1, default: DEFAULT_LIMITS[key], description: `${description} (beyond: refused naming ${LIMIT_FLAGS[key]}).` });

/** Addresses only this machine can reach: a server there needs no key. */
function loopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * The key every route but /health requires, from the environment variable --api-key-env names (a key
 * is a secret: never a flag, which other users of the machine can read from the process list).
 */
function apiKey(name: string | undefined): string | undefined {
  const key = process.env[name ?? DEFAULT_KEY_ENV];
  if (key !== undefined && key.trim() !== '') return key.trim();
  if (name !== undefined) throw new UsageError(`--api-key-env ${name}: the environment variable ${name} is not set; set it to the key clients must send (Authorization: Bearer <key>)`);
  return undefined;
}

export default class Serve extends TwentyqCommand {
  static override summary = 'Serve a policy (and an answerer) as models behind an OpenAI-compatible HTTP API.';
  static override description = `GET /v1/models lists the models: the policy by its label (e.g. "infogain") and the answerer as "answerer:<label>". POST /v1/chat/completions takes the game as the conversation twentyq renders (system prompt, opening, moves and answers; with tools: ask/guess tool calls and tool messages) and replies with the policy's next move, as text or, when the request offers tools, as a tool call; streaming included. The answerer model reads the secret from its system prompt and answers the last user message "Yes.", "No." or "I don't know.". POST /v1/embeddings answers the model "embed:hash" (listed in /v1/models): a deterministic hashed bag of word unigrams and bigrams in 256 dimensions, L2-normalised, for an experiment's report.embeddings. Prints "twentyq serve: listening on URL (models: ...)" when ready; Ctrl-C or SIGTERM stop it. The fault options make it misbehave on purpose, drawn per request from --fault-seed, to test clients.`;
  static override examples = [
    '<%= config.bin %> serve',
    "<%= config.bin %> serve --policy '{use: local, with: {checkpoint: runs/pipeline-local/RUN/checkpoints/train-2.json}}' --port 8001",
    '<%= config.bin %> serve --port 0 --fail-rate 0.2 --fail-status 429,503 --drop-rate 0.05 --fault-seed 3',
  ];
  static override flags = {
    policy: Flags.string({ default: DEFAULT_PLUGINS.policy, description: 'Policy plugin served as the questioner model (name, path or YAML).' }),
    answerer: Flags.string({ default: DEFAULT_PLUGINS.answerer, description: 'Answerer plugin served as the model answerer:<label>.' }),
    domain: Flags.string({ default: DEFAULT_PLUGINS.domain, description: 'Domain plugin.' }),
    'max-questions': Flags.integer({ min: 1, default: 20, description: 'Question budget.' }),
    'wrong-guess': Flags.option({ options: ['continue', 'lose'] as const, default: 'continue', description: 'What a wrong guess does.' })(),
    host: Flags.string({ default: '127.0.0.1', description: 'Address to listen on.' }),
    port: Flags.integer({ min: 0, max: 65535, default: 8000, description: 'Port to listen on; 0 picks a free one.' }),
    'latency-ms': Flags.integer({ min: 0, default: 0, description: 'Delay added to every chat completion.' }),
    'fail-rate': rate('Probability that a completion fails with --fail-status.'),
    'fail-status': Flags.string({ default: '500', description: 'Status of a failure: 429 (with Retry-After: 1), 500, 503, or a comma list to pick from.' }),
    'garble-rate': rate('Probability of a 200 reply whose text is neither a move nor an answer.'),
    'drop-rate': rate('Probability of closing the connection without a response.'),
    'fault-seed': Flags.integer({ default: 0, description: 'Seed of the stream the faults are drawn from.' }),
    'api-key-env': Flags.string({
      description: `Environment variable holding the API key every route but GET /health then requires (Authorization: Bearer <key>); default ${DEFAULT_KEY_ENV}, used when set. Without a key the server warns when it listens beyond 127.0.0.1.`,
      helpValue: 'NAME',
    }),
    'max-body-bytes': limit('max_body_bytes', 'Bytes of a request body'),
    'max-messages': limit('max_messages', 'Messages of a chat request'),
    'max-inputs': limit('max_inputs', 'Inputs of an embeddings request'),
    'max-chars': limit('max_chars', 'Characters of text in one request (all messages or all inputs)'),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    const faults = {
      seed: flags['fault-seed'],
      latency_ms: flags['latency-ms'],
      fail_rate: probability('fail-rate', flags['fail-rate']),
      fail_status: statuses(flags['fail-status']),
      garble_rate: probability('garble-rate', flags['garble-rate']),
      drop_rate: probability('drop-rate', flags['drop-rate']),
    };
    const key = apiKey(flags['api-key-env']);
    if (key === undefined && !loopback(flags.host)) {
      process.stderr.write(`twentyq serve: warning: listening on ${flags.host} without an API key: anyone who reaches this address can use the server; set ${DEFAULT_KEY_ENV} (or --api-key-env NAME) to require one\n`);
    }
    // Listening for the signals before the server starts: a launcher may stop it as soon as it reads the URL.
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    const server = await startServer({
      domain: refFromFlag(flags.domain),
      rules: { max_questions: flags['max-questions'], wrong_guess: flags['wrong-guess'] },
      policy: refFromFlag(flags.policy),
      answerer: refFromFlag(flags.answerer),
      baseDir: process.cwd(),
      host: flags.host,
      port: flags.port,
      faults,
      limits: { max_body_bytes: flags['max-body-bytes'], max_messages: flags['max-messages'], max_inputs: flags['max-inputs'], max_chars: flags['max-chars'] },
      ...(key === undefined ? {} : { apiKey: key }),
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL') throw new UsageError(`cannot listen on ${flags.host}:${flags.port}: ${error.message}`);
      throw error;
    });
    this.log(`twentyq serve: listening on ${server.url} (models: ${server.models.join(', ')})${key === undefined ? '' : '; API key required'}`);
    const signal = await stopped;
    await server.close();
    const { requests, completions, rejected, failed, dropped, garbled } = server.stats;
    process.stderr.write(`twentyq serve: stopped (${signal}) after ${requests} requests: ${completions} completions, ${rejected} rejected, ${failed} failed, ${dropped} dropped, ${garbled} garbled on purpose\n`);
  }
}
