import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type DpoTraining, type GrpoTraining, type PreferencePair, Rng, type Rules, type SftRow, type SftTraining, type Trajectory } from '../../../framework/plugin.js';
import type { StateEncoder } from './encode.js';
import { Adam, type Network, type SparseInput } from './network.js';
import { crossEntropy, dpo, grpo, logSoftmax, type GrpoStep } from './objectives.js';

interface State {
  x: SparseInput;
  legal: Uint8Array;
}

/** The states of a game, with the action taken in each (moves the policy cannot make are left out). */
function steps(encoder: StateEncoder, rules: Rules, game: Trajectory): (State & { action: number })[] {
  const out: (State & { action: number })[] = [];
  for (let t = 0; t < game.turns.length; t++) {
    const action = encoder.action(game.turns[t]!.move);
    if (action === undefined) continue;
    const state = encoder.encode(game.turns.slice(0, t), rules);
    if (state.legal[action]) out.push({ ...state, action });
  }
  return out;
}

function shuffled(n: number, rng: Rng): number[] {
  const order = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function entropyOf(logp: Float64Array): number {
  let h = 0;
  for (const l of logp) if (l !== -Infinity) h -= Math.exp(l) * l;
  return h;
}

/**
 * Minibatches over examples in a seeded order. For each example: a forward pass, the objective's
 * gradient with respect to the logits (into `d`), and the backward pass into the batch's gradient;
 * then one Adam step per batch, the gradient divided by the batch's weight. Between batches the event
 * loop gets a turn (a Ctrl-C is only seen then) and `stop` ends the training.
 */
async function epochs<T extends { x: SparseInput }>(
  net: Network,
  examples: readonly T[],
  o: { epochs: number; batch_size: number; seed: number; stop?: AbortSignal },
  params: Float64Array,
  adam: Adam,
  objective: (item: T, logits: Float64Array, d: Float64Array) => void,
  weightOf: (item: T) => number,
  after: (epoch: number) => void,
): Promise<void> {
  const grad = new Float64Array(params.length);
  const d = new Float64Array(net.shape.outputs);
  const rng = new Rng(o.seed);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const order = shuffled(examples.length, rng);
    for (let start = 0; start < order.length; start += o.batch_size) {
      await yieldToEventLoop();
      if (o.stop?.aborted) return;
      grad.fill(0);
      let weight = 0;
      for (let k = start; k < Math.min(start + o.batch_size, order.length); k++) {
        const item = examples[order[k]!]!;
        const acts = net.forward(params, item.x);
        d.fill(0);
        objective(item, acts.at(-1)!, d);
        net.backward(params, item.x, acts, d, grad);
        weight += weightOf(item);
      }
      if (weight === 0) continue;
      for (let i = 0; i < grad.length; i++) grad[i]! /= weight;
      adam.step(params, grad);
    }
    after(epoch);
  }
}

/**
 * Weighted cross-entropy on the teacher's moves: a row's copies weigh its steps. An epoch's figures
 * are measured on the fly, each step just before the update it takes part in.
 */
export async function trainSft(net: Network, params: Float64Array, encoder: StateEncoder, rules: Rules, rows: readonly SftRow[], o: SftTraining): Promise<Record<string, number>> {
  const examples = rows.flatMap((row) => {
    const target = encoder.attributes + encoder.domain.candidateIndexOf(row.game.target)!;
    return steps(encoder, rules, row.game).map((s) => ({
      ...s,
      weight: row.copies,
      target,
      // the target loss is a softmax over the legal guesses alone
      guesses: s.legal.map((v, i) => (i >= encoder.attributes ? v : 0)),
    }));
  });
  if (examples.length === 0) throw new Error('sft: no step of the selected games is a move this policy can make');
  const adam = new Adam(net.size, o.lr);
  let figures: Record<string, number> = {};
  let loss = 0;
  let correct = 0;
  let entropy = 0;
  let total = 0;
  await epochs(
    net,
    examples,
    o,
    params,
    adam,
    (e, logits, d) => {
      const logp = logSoftmax(logits, e.legal);
      loss += crossEntropy(logits, e.legal, e.action, e.weight, d, logp);
      if (o.target_weight > 0 && e.legal[e.target]) crossEntropy(logits, e.guesses, e.target, o.target_weight * e.weight, d);
      let best = -1;
      for (let i = 0; i < logits.length; i++) if (e.legal[i] && (best < 0 || logits[i]! > logits[best]!)) best = i;
      if (best === e.action) correct += e.weight;
      entropy += e.weight * entropyOf(logp);
      total += e.weight;
    },
    (e) => e.weight,
    (epoch) => {
      figures = { epoch, loss: loss / total, accuracy: correct / total, entropy: entropy / total, steps: examples.length };
      loss = correct = entropy = total = 0;
      o.onEpoch?.(figures);
    },
  );
  return figures;
}

/** DPO on step pairs against the frozen reference (the policy before DPO). */
export async function trainDpo(net: Network, params: Float64Array, reference: Float64Array, encoder: StateEncoder, rules: Rules, pairs: readonly PreferencePair[], o: DpoTraining): Promise<Record<string, number>> {
  const examples = pairs.flatMap((pair) => {
    const chosen = encoder.action(pair.chosen);
    const rejected = encoder.action(pair.rejected);
    if (chosen === undefined || rejected === undefined || chosen === rejected) return [];
    const state = encoder.encode(pair.history, rules);
    if (!state.legal[chosen] || !state.legal[rejected]) return [];
    const ref = logSoftmax(net.forward(reference, state.x).at(-1)!, state.legal);
    return [{ ...state, chosen, rejected, refChosen: ref[chosen]!, refRejected: ref[rejected]! }];
  });
  if (examples.length === 0) throw new Error('dpo: no pair is made of moves this policy can make');
  const adam = new Adam(net.size, o.lr);
  let figures: Record<string, number> = {};
  let loss = 0;
  let wins = 0;
  let margin = 0;
  await epochs(
    net,
    examples,
    o,
    params,
    adam,
    (e, logits, d) => {
      const r = dpo(logits, e.legal, e.chosen, e.rejected, e.refChosen, e.refRejected, o.beta, d);
      loss += r.loss;
      margin += r.margin;
      if (r.margin > 0) wins++;
    },
    () => 1,
    (epoch) => {
      figures = { epoch, loss: loss / examples.length, preference_accuracy: wins / examples.length, margin: margin / examples.length, pairs: examples.length };
      loss = wins = margin = 0;
      o.onEpoch?.(figures);
    },
  );
  return figures;
}

/**
 * One GRPO iteration's update: every step of every game, with its game's group-normalised advantage,
 * through the clipped surrogate with a KL penalty to the reference. The "old" policy is the one that
 * played the games: the parameters as they are when the update starts.
 */
export async function trainGrpo(
  net: Network,
  params: Float64Array,
  reference: Float64Array,
  adam: Adam,
  encoder: StateEncoder,
  rules: Rules,
  games: readonly Trajectory[],
  advantages: Float64Array,
  o: GrpoTraining,
): Promise<Record<string, number>> {
  const examples: (State & GrpoStep)[] = [];
  games.forEach((game, g) => {
    if (game.outcome === 'error') return; // a failed game was not played out: nothing to reinforce
    for (const s of steps(encoder, rules, game)) {
      const old = logSoftmax(net.forward(params, s.x).at(-1)!, s.legal, o.temperature);
      const ref = logSoftmax(net.forward(reference, s.x).at(-1)!, s.legal, o.temperature);
      examples.push({ ...s, advantage: advantages[g]!, oldLogProb: old[s.action]!, refLogProbs: ref });
    }
  });
  let loss = 0;
  let kl = 0;
  let entropy = 0;
  let clipped = 0;
  let seen = 0;
  await epochs(
    net,
    examples,
    o,
    params,
    adam,
    (e, logits, d) => {
      const r = grpo(logits, e.legal, e, o.epsilon, o.beta, o.temperature, d);
      loss += r.loss;
      kl += r.kl;
      entropy += r.entropy;
      if (r.clipped) clipped++;
      seen++;
    },
    () => 1,
    () => {},
  );
  return { loss: loss / seen, kl: kl / seen, entropy: entropy / seen, clip_fraction: clipped / seen, steps: examples.length };
}
