import { resolve } from 'node:path';
import { defaulted, definePlugin, type Domain, type DpoJob, type GameView, type GrpoJob, isJob, type Move, type Rules, type SftJob, type TrainablePolicy, type TrainJob, Type } from '../../../framework/plugin.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { StateEncoder } from './encode.js';
import { Adam, Network, type Shape } from './network.js';
import { logSoftmax } from './objectives.js';
import { trainDpo, trainGrpo, trainSft } from './train.js';

/**
 * A small neural questioner that trains in-process on a CPU: the state of a game (see StateEncoder)
 * through an MLP to a masked softmax over the legal moves. Greedy at temperature 0 (evaluation),
 * sampled otherwise (training), each game from its own random stream.
 */
export class LocalPolicy implements TrainablePolicy {
  readonly jobs = ['sft', 'dpo', 'grpo'] as const;
  readonly encoder: StateEncoder;
  readonly net: Network;
  params: Float64Array;
  private session?: { key: string; adam: Adam };

  constructor(
    readonly domain: Domain,
    readonly rules: Rules,
    readonly temperature: number,
    shape: Shape,
    params?: Float64Array,
    initSeed = 0,
  ) {
    this.encoder = new StateEncoder(domain);
    if (shape.inputs !== this.encoder.inputs || shape.outputs !== this.encoder.actions) {
      throw new Error(`network shape ${shape.inputs} -> ${shape.outputs} does not fit ${domain.name} (${this.encoder.inputs} inputs, ${this.encoder.actions} actions)`);
    }
    this.net = new Network(shape);
    this.params = params ?? this.net.init(initSeed);
    if (this.params.length !== this.net.size) throw new Error(`expected ${this.net.size} weights, got ${this.params.length}`);
  }

  act(games: readonly GameView[]): Move[] {
    return games.map((game) => {
      const { x, legal } = this.encoder.encode(game.turns, game.rules);
      const logits = this.net.forward(this.params, x).at(-1)!;
      let action = -1;
      if (this.temperature <= 0) {
        for (let i = 0; i < logits.length; i++) if (legal[i] && (action < 0 || logits[i]! > logits[action]!)) action = i;
      } else {
        const logp = logSoftmax(logits, legal, this.temperature);
        action = game.rng.weighted(Array.from(logp, (l) => (l === -Infinity ? 0 : Math.exp(l))));
      }
      return this.encoder.move(action);
    });
  }

  async train(job: TrainJob): Promise<Record<string, number>> {
    if (isJob<SftJob>(job, 'sft')) return trainSft(this.net, this.params, this.encoder, this.rules, job.rows, job.options);
    if (isJob<DpoJob>(job, 'dpo')) return trainDpo(this.net, this.params, job.reference as Float64Array, this.encoder, this.rules, job.pairs, job.options);
    if (isJob<GrpoJob>(job, 'grpo')) {
      if (this.session?.key !== job.options.session) this.session = { key: job.options.session, adam: new Adam(this.net.size, job.options.lr) };
      return trainGrpo(this.net, this.params, job.reference as Float64Array, this.session.adam, this.encoder, this.rules, job.games, job.advantages, job.options);
    }
    throw new Error(`the local policy trains ${this.jobs.join(', ')} jobs, not ${job.kind}`);
  }

  exportState(): Float64Array {
    return this.params.slice();
  }

  importState(state: unknown): void {
    if (!(state instanceof Float64Array) || state.length !== this.net.size) throw new Error(`local policy: expected ${this.net.size} weights`);
    this.params.set(state);
  }

  save(file: string, note: Record<string, unknown>): void {
    saveCheckpoint(file, this.domain, this.net.shape, this.params, note);
  }
}

export default definePlugin({
  kind: 'policy',
  name: 'local',
  description:
    'A small neural policy trained in-process on the CPU (no GPU, no native code): game state -> MLP -> masked softmax over the questions not asked and the guesses not made. Trained by the weighted-sft, dpo and grpo strategies; greedy at temperature 0.',
  options: Type.Object(
    {
      hidden: defaulted(Type.Array(Type.Integer({ minimum: 1, maximum: 8192 }), { maxItems: 8, default: [256], description: 'Sizes of the hidden layers (ignored when a checkpoint is loaded).' })),
      temperature: defaulted(Type.Number({ minimum: 0, default: 0, description: 'Sampling temperature; 0 plays the most likely move.' })),
      checkpoint: Type.Optional(
        Type.String({
          'x-file': true,
          description: 'A saved policy to start from, relative to the experiment file, or to the current directory when given with --set (train stages write <stage>.ckpt.json).',
        }),
      ),
      init_seed: defaulted(Type.Integer({ minimum: 0, default: 0, description: 'Seed of the initial weights when no checkpoint is given.' })),
    },
    { additionalProperties: false },
  ),
  trainable: true,
  create(options, { domain, rules, baseDir }) {
    const encoder = new StateEncoder(domain);
    if (options.checkpoint) {
      const { shape, params } = loadCheckpoint(resolve(baseDir, options.checkpoint), domain);
      return new LocalPolicy(domain, rules, options.temperature, shape, params);
    }
    return new LocalPolicy(domain, rules, options.temperature, { inputs: encoder.inputs, hidden: options.hidden, outputs: encoder.actions }, undefined, options.init_seed);
  },
});
