import { readFileSync } from 'node:fs';
import { type Domain, writeFileAtomic } from '../../../framework/plugin.js';
import type { Shape } from './network.js';

const FORMAT = 'twentyq-local-policy';

/** A saved policy: the weights, the shape of the network, and the domain it fits. */
export interface Checkpoint {
  format: typeof FORMAT;
  version: 1;
  domain: string;
  candidates: string[];
  attributes: string[];
  shape: Shape;
  /** Float64 weights, little-endian, base64. */
  weights: string;
  note: Record<string, unknown>;
}

export function saveCheckpoint(file: string, domain: Domain, shape: Shape, params: Float64Array, note: Record<string, unknown>): void {
  const checkpoint: Checkpoint = {
    format: FORMAT,
    version: 1,
    domain: domain.name,
    candidates: domain.candidates.map((c) => c.id),
    attributes: domain.attributes.map((a) => a.id),
    shape,
    weights: Buffer.from(params.buffer, params.byteOffset, params.byteLength).toString('base64'),
    note,
  };
  writeFileAtomic(file, JSON.stringify(checkpoint) + '\n');
}

/** Reads a checkpoint and checks it fits the domain; every failure says which file and why. */
export function loadCheckpoint(file: string, domain: Domain): { shape: Shape; params: Float64Array; note: Record<string, unknown> } {
  let c: Checkpoint;
  try {
    c = JSON.parse(readFileSync(file, 'utf8')) as Checkpoint;
  } catch (error) {
    throw new Error(`cannot read checkpoint ${file}: ${(error as Error).message}`);
  }
  if (c.format !== FORMAT || c.version !== 1) throw new Error(`${file} is not a twentyq local policy checkpoint (format ${String(c.format)})`);
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (
    !same(
      c.candidates,
      domain.candidates.map((x) => x.id),
    ) ||
    !same(
      c.attributes,
      domain.attributes.map((x) => x.id),
    )
  ) {
    throw new Error(
      `checkpoint ${file} was trained on domain ${c.domain} with ${c.candidates.length} candidates and ${c.attributes.length} attributes; it does not fit ${domain.name} (${domain.size} candidates, ${domain.attributes.length} attributes)`,
    );
  }
  const bytes = Buffer.from(c.weights, 'base64');
  const params = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(params.buffer).set(bytes);
  return { shape: c.shape, params, note: c.note };
}
