import { describe, expect, it } from 'vitest';
import { Rng } from '../../framework/util/rng.js';
import { Network, type SparseInput } from '../../plugins/policies/local/network.js';
import { crossEntropy, dpo, grpo, logSoftmax } from '../../plugins/policies/local/objectives.js';

/**
 * Every gradient against central finite differences: the network's backpropagation, and each
 * objective composed with it. A loss L(params) and its analytic gradient must agree on every
 * parameter to a relative error of 1e-6 (float64 throughout).
 */
const net = new Network({ inputs: 12, hidden: [9, 7], outputs: 6 });
const rng = new Rng(42);
const params = net.init(7);
// a non-zero output layer and biases, so that no gradient is trivially zero
for (let i = 0; i < params.length; i++) params[i]! += 0.3 * rng.normal();

const states: { x: SparseInput; legal: Uint8Array }[] = Array.from({ length: 5 }, (_, s) => ({
  x: { index: Int32Array.from([s, 5 + (s % 3), 11]), value: Float64Array.from([1, 1, 0.35 + 0.1 * s]) },
  legal: Uint8Array.from([1, 1, s % 2, 1, 1, s === 3 ? 0 : 1]),
}));

type Objective = (logits: Float64Array, legal: Uint8Array, s: number, d: Float64Array) => number;

function lossAndGrad(p: Float64Array, objective: Objective): { loss: number; grad: Float64Array } {
  const grad = new Float64Array(p.length);
  let loss = 0;
  states.forEach(({ x, legal }, s) => {
    const acts = net.forward(p, x);
    const d = new Float64Array(6);
    loss += objective(acts.at(-1)!, legal, s, d);
    net.backward(p, x, acts, d, grad);
  });
  return { loss, grad };
}

function check(objective: Objective): void {
  const { grad } = lossAndGrad(params, objective);
  const h = 1e-6;
  let checked = 0;
  for (let i = 0; i < params.length; i++) {
    const saved = params[i]!;
    params[i] = saved + h;
    const up = lossAndGrad(params, objective).loss;
    params[i] = saved - h;
    const down = lossAndGrad(params, objective).loss;
    params[i] = saved;
    const numeric = (up - down) / (2 * h);
    const scale = Math.max(1e-4, Math.abs(numeric), Math.abs(grad[i]!));
    expect(Math.abs(numeric - grad[i]!) / scale, `parameter ${i}: numeric ${numeric}, analytic ${grad[i]}`).toBeLessThan(1e-5);
    if (Math.abs(grad[i]!) > 1e-8) checked++;
  }
  expect(checked).toBeGreaterThan(params.length / 4);
}

describe('gradients against finite differences', () => {
  it('network: a linear function of the logits', () => {
    const w = [0.3, -1.2, 0.7, 2.0, -0.4, 1.1];
    check((logits, _legal, _s, d) => {
      let loss = 0;
      logits.forEach((z, j) => ((loss += w[j]! * z), (d[j]! += w[j]!)));
      return loss;
    });
  });

  it('weighted cross-entropy', () => {
    check((logits, legal, s, d) => crossEntropy(logits, legal, s % 2 === 0 ? 0 : 4, 1 + s, d));
  });

  it('DPO against a reference', () => {
    const ref = net.init(99);
    // reference log-probabilities first: a forward pass reuses the network's buffers
    const refLogp = states.map(({ x, legal }) => logSoftmax(net.forward(ref, x).at(-1)!, legal));
    check((logits, legal, s, d) => dpo(logits, legal, 0, 3 + (s % 2), refLogp[s]![0]!, refLogp[s]![3 + (s % 2)]!, 0.5, d).loss);
  });

  it('GRPO: clipped surrogate with a KL penalty, both sides of the clip, at a temperature', () => {
    const old = net.init(5);
    const ref = net.init(6);
    const advantages = [1.3, -0.8, 0.5, -1.5, 2.0];
    const oldLogp = states.map(({ x, legal }) => logSoftmax(net.forward(old, x).at(-1)!, legal, 0.8));
    const refLogp = states.map(({ x, legal }) => logSoftmax(net.forward(ref, x).at(-1)!, legal, 0.8));
    check((logits, legal, s, d) => grpo(logits, legal, { action: 1, advantage: advantages[s]!, oldLogProb: oldLogp[s]![1]!, refLogProbs: refLogp[s]! }, 0.2, 0.3, 0.8, d).loss);
  });
});

describe('objectives on hand-worked numbers', () => {
  it('masks illegal actions out of the softmax', () => {
    const logp = logSoftmax(Float64Array.from([1, 2, 3]), Uint8Array.from([1, 0, 1]));
    expect(logp[1]).toBe(-Infinity);
    expect(Math.exp(logp[0]!) + Math.exp(logp[2]!)).toBeCloseTo(1, 12);
    expect(logp[2]! - logp[0]!).toBeCloseTo(2, 12);
  });

  it('GRPO clips: no gradient from the surrogate once the ratio leaves [1 - eps, 1 + eps] on the side the advantage favours', () => {
    const logits = Float64Array.from([0, 0]);
    const legal = Uint8Array.from([1, 1]);
    const ref = logSoftmax(logits, legal);
    const step = (advantage: number, oldProb: number) => {
      const d = new Float64Array(2);
      const r = grpo(logits, legal, { action: 0, advantage, oldLogProb: Math.log(oldProb), refLogProbs: ref }, 0.2, 0, 1, d);
      return { ...r, d: [...d] };
    };
    // p(a) = 0.5. old 0.25: ratio 2 > 1.2. A > 0: clipped, loss -1.2 A, no gradient.
    expect(step(1, 0.25)).toMatchObject({ ratio: 2, clipped: true, loss: -1.2, d: [0, 0] });
    // A < 0 with ratio 2: the unclipped term -2 is smaller, so it counts: loss 2, gradient pushes p(a) down.
    const neg = step(-1, 0.25);
    expect(neg).toMatchObject({ ratio: 2, clipped: false, loss: 2 });
    // d loss / d z0 = -A rho (1 - p) = 1 * 2 * 0.5 = 1; d z1 = -1
    expect(neg.d[0]).toBeCloseTo(1, 12);
    expect(neg.d[1]).toBeCloseTo(-1, 12);
    // old 0.625: ratio 0.8, inside the clip range: loss -0.8 A
    expect(step(1, 0.625)).toMatchObject({ clipped: false });
    expect(step(1, 0.625).loss).toBeCloseTo(-0.8, 12);
    // old 0.75: ratio 2/3 < 0.8. A < 0: clipped at 0.8, loss 0.8, no gradient. A > 0: unclipped.
    expect(step(-1, 0.75)).toMatchObject({ clipped: true, d: [0, 0] });
    expect(step(-1, 0.75).loss).toBeCloseTo(0.8, 12);
    expect(step(1, 0.75).clipped).toBe(false);
  });

  it('DPO loss is log 2 with the policy equal to its reference, and falls as the margin grows', () => {
    const logits = Float64Array.from([0.5, 0.1, -0.3]);
    const legal = Uint8Array.from([1, 1, 1]);
    const ref = logSoftmax(logits, legal);
    const d = new Float64Array(3);
    const r = dpo(logits, legal, 0, 2, ref[0]!, ref[2]!, 0.1, d);
    expect(r.loss).toBeCloseTo(Math.log(2), 12);
    expect(r.margin).toBe(0);
    // gradient: -beta/2 (e_c - e_r): raise the chosen logit, lower the rejected
    expect([...d].map((x) => Number(x.toFixed(12)))).toEqual([-0.05, 0, 0.05]);
    const better = dpo(Float64Array.from([1.5, 0.1, -0.3]), legal, 0, 2, ref[0]!, ref[2]!, 0.1, new Float64Array(3));
    expect(better.loss).toBeLessThan(Math.log(2));
  });
});
