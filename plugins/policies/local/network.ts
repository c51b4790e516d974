import { Rng } from '../../../framework/plugin.js';

/**
 * A small MLP on typed arrays: a sparse input (the few features a game state turns on) through ReLU
 * hidden layers to one logit per action. All parameters live in one Float64Array, so that Adam, the
 * checkpoints, the copy sent to the workers and the finite-difference checks see one flat vector.
 */
export interface Shape {
  inputs: number;
  hidden: readonly number[];
  outputs: number;
}

/** A state as the network takes it: the indices of its non-zero inputs and their values. */
export interface SparseInput {
  index: Int32Array;
  value: Float64Array;
}

interface Layer {
  fanIn: number;
  fanOut: number;
  /** Offsets of the weights (fanIn x fanOut, row-major by input) and the biases in the parameter vector. */
  w: number;
  b: number;
}

export class Network {
  readonly layers: Layer[];
  readonly size: number;
  /** Scratch buffers, one per layer, reused by every forward and backward pass (single-threaded use). */
  private readonly acts: Float64Array[];
  private readonly deltas: Float64Array[];

  constructor(readonly shape: Shape) {
    const sizes = [shape.inputs, ...shape.hidden, shape.outputs];
    let offset = 0;
    this.layers = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fanIn = sizes[l]!;
      const fanOut = sizes[l + 1]!;
      this.layers.push({ fanIn, fanOut, w: offset, b: offset + fanIn * fanOut });
      offset += fanIn * fanOut + fanOut;
    }
    this.size = offset;
    this.acts = this.layers.map((l) => new Float64Array(l.fanOut));
    this.deltas = this.layers.map((l) => new Float64Array(l.fanOut));
  }

  /** He-initialised weights for the ReLU layers, a near-zero output layer (a near-uniform first policy). */
  init(seed: number): Float64Array {
    const rng = new Rng(seed);
    const params = new Float64Array(this.size);
    this.layers.forEach((layer, l) => {
      const last = l === this.layers.length - 1;
      const std = last ? 0.01 : Math.sqrt(2 / layer.fanIn);
      for (let i = 0; i < layer.fanIn * layer.fanOut; i++) params[layer.w + i] = rng.normal() * std;
    });
    return params;
  }

  /**
   * Activations of every layer for one state; the last are the logits. The arrays are the network's
   * scratch buffers: valid until the next forward pass, so copy what must be kept.
   */
  forward(params: Float64Array, x: SparseInput): Float64Array[] {
    const { layers, acts } = this;
    for (let l = 0; l < layers.length; l++) {
      const { fanIn, fanOut, w, b } = layers[l]!;
      const out = acts[l]!;
      for (let j = 0; j < fanOut; j++) out[j] = params[b + j]!;
      if (l === 0) {
        for (let k = 0; k < x.index.length; k++) {
          const v = x.value[k]!;
          const row = w + x.index[k]! * fanOut;
          for (let j = 0; j < fanOut; j++) out[j]! += v * params[row + j]!;
        }
      } else {
        const input = acts[l - 1]!;
        for (let i = 0; i < fanIn; i++) {
          const v = input[i]!;
          if (v === 0) continue;
          const row = w + i * fanOut;
          for (let j = 0; j < fanOut; j++) out[j]! += v * params[row + j]!;
        }
      }
      if (l < layers.length - 1) for (let j = 0; j < fanOut; j++) if (out[j]! < 0) out[j] = 0;
    }
    return acts;
  }

  /**
   * Adds d(loss)/d(params) for one state to `grad`, given d(loss)/d(logits); `acts` must be the
   * activations of the forward pass for the same state, just before.
   */
  backward(params: Float64Array, x: SparseInput, acts: Float64Array[], dLogits: Float64Array, grad: Float64Array): void {
    let delta = dLogits;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const { fanIn, fanOut, w, b } = this.layers[l]!;
      for (let j = 0; j < fanOut; j++) grad[b + j]! += delta[j]!;
      if (l === 0) {
        for (let k = 0; k < x.index.length; k++) {
          const v = x.value[k]!;
          const row = w + x.index[k]! * fanOut;
          for (let j = 0; j < fanOut; j++) grad[row + j]! += v * delta[j]!;
        }
        return;
      }
      const input = acts[l - 1]!;
      const below = this.deltas[l - 1]!;
      for (let i = 0; i < fanIn; i++) {
        const v = input[i]!;
        if (v === 0) {
          below[i] = 0; // ReLU: no gradient flows below a zero activation
          continue;
        }
        const row = w + i * fanOut;
        let sum = 0;
        for (let j = 0; j < fanOut; j++) {
          grad[row + j]! += v * delta[j]!;
          sum += params[row + j]! * delta[j]!;
        }
        below[i] = sum;
      }
      delta = below;
    }
  }
}

/** Adam (Kingma and Ba), with optional gradient-norm clipping. */
export class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

  constructor(
    size: number,
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
    private readonly clip = 1,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** Applies one update in place; returns the gradient's norm before clipping. */
  step(params: Float64Array, grad: Float64Array): number {
    let norm = 0;
    for (let i = 0; i < grad.length; i++) norm += grad[i]! * grad[i]!;
    norm = Math.sqrt(norm);
    const scale = this.clip > 0 && norm > this.clip ? this.clip / norm : 1;
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i]! * scale;
      this.m[i] = this.beta1 * this.m[i]! + (1 - this.beta1) * g;
      this.v[i] = this.beta2 * this.v[i]! + (1 - this.beta2) * g * g;
      params[i]! -= (this.lr * (this.m[i]! / c1)) / (Math.sqrt(this.v[i]! / c2) + this.eps);
    }
    return norm;
  }
}
