/**
 * The training objectives, each as a loss on one state's logits and its gradient with respect to them
 * (the network turns that into the gradient for the parameters). Illegal actions are masked out of
 * every softmax. `temperature` divides the logits, as it does when actions are sampled.
 */

/** Log-probabilities of the legal actions (illegal ones -Infinity) of softmax(logits / temperature). */
export function logSoftmax(logits: Float64Array, legal: Uint8Array, temperature = 1): Float64Array {
  const out = new Float64Array(logits.length).fill(-Infinity);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (legal[i] && logits[i]! / temperature > max) max = logits[i]! / temperature;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) if (legal[i]) sum += Math.exp(logits[i]! / temperature - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < logits.length; i++) if (legal[i]) out[i] = logits[i]! / temperature - lse;
  return out;
}

/** d log p(action) / d logits = (onehot(action) - p) / temperature, added with a factor into `d`. */
function addLogProbGrad(d: Float64Array, logp: Float64Array, action: number, factor: number, temperature: number): void {
  for (let i = 0; i < d.length; i++) if (logp[i] !== -Infinity) d[i]! -= (factor * Math.exp(logp[i]!)) / temperature;
  d[action]! += factor / temperature;
}

/** Weighted cross-entropy on the teacher's move: -w log p(action). `logp`: the log-softmax, when the caller has it. */
export function crossEntropy(logits: Float64Array, legal: Uint8Array, action: number, weight: number, d: Float64Array, logp = logSoftmax(logits, legal)): number {
  addLogProbGrad(d, logp, action, -weight, 1);
  return -weight * logp[action]!;
}

/**
 * DPO on one step pair (Rafailov et al. 2023): -log sigmoid(beta * ((log p(c) - log ref(c)) - (log p(r) - log ref(r)))).
 * The reference log-probabilities are those of the frozen policy before DPO. Returns the loss and the
 * margin inside the sigmoid.
 */
export function dpo(logits: Float64Array, legal: Uint8Array, chosen: number, rejected: number, refChosen: number, refRejected: number, beta: number, d: Float64Array): { loss: number; margin: number } {
  const logp = logSoftmax(logits, legal);
  const margin = logp[chosen]! - refChosen - (logp[rejected]! - refRejected);
  const x = beta * margin;
  const loss = Math.log1p(Math.exp(-Math.abs(x))) + Math.max(-x, 0); // -log sigmoid(x), stable
  const sig = 1 / (1 + Math.exp(x)); // sigmoid(-x) = -d loss / dx
  addLogProbGrad(d, logp, chosen, -beta * sig, 1);
  addLogProbGrad(d, logp, rejected, beta * sig, 1);
  return { loss, margin };
}

export interface GrpoStep {
  /** The sampled action, its advantage, and its log-probability under the policy that sampled it. */
  action: number;
  advantage: number;
  oldLogProb: number;
  /** The reference policy's log-probabilities of every action (for the KL penalty). */
  refLogProbs: Float64Array;
}

/**
 * The GRPO objective for one step (Shao et al. 2024), as a loss to minimise:
 *   -min(rho A, clip(rho, 1 - eps, 1 + eps) A) + beta KL(p || ref),
 * rho = p(a) / old(a). The KL is exact over the legal actions (cheap here, and with no estimator
 * noise). Returns the loss and its parts.
 */
export function grpo(logits: Float64Array, legal: Uint8Array, step: GrpoStep, epsilon: number, beta: number, temperature: number, d: Float64Array): { loss: number; kl: number; entropy: number; clipped: boolean; ratio: number } {
  const logp = logSoftmax(logits, legal, temperature);
  const ratio = Math.exp(logp[step.action]! - step.oldLogProb);
  const A = step.advantage;
  const clippedRatio = Math.min(Math.max(ratio, 1 - epsilon), 1 + epsilon);
  const unclipped = ratio * A;
  const clipped = clippedRatio * A;
  // The min picks the clipped term only when it is smaller; then the gradient through rho is zero.
  const useClipped = clipped < unclipped;
  let loss = -(useClipped ? clipped : unclipped);
  if (!useClipped) addLogProbGrad(d, logp, step.action, -A * ratio, temperature);
  let kl = 0;
  let entropy = 0;
  for (let i = 0; i < logp.length; i++) {
    if (logp[i] === -Infinity) continue;
    const p = Math.exp(logp[i]!);
    kl += p * (logp[i]! - step.refLogProbs[i]!);
    entropy -= p * logp[i]!;
  }
  if (beta > 0) {
    // d KL / d z_j = p_j (log p_j - log ref_j - KL) / temperature
    for (let i = 0; i < logp.length; i++) {
      if (logp[i] === -Infinity) continue;
      d[i]! += (beta * Math.exp(logp[i]!) * (logp[i]! - step.refLogProbs[i]! - kl)) / temperature;
    }
    loss += beta * kl;
  }
  return { loss, kl, entropy, clipped: useClipped, ratio };
}
