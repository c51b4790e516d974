import { readFileSync } from 'node:fs';
import { renderGame, renderPrompt, type ChatMessage, type RenderOptions } from '../game/chat.js';
import type { Domain } from '../game/domain.js';
import type { Rules } from '../game/types.js';
import { compileSchema, formatAjvErrors } from '../config/schema.js';
import { packagePath } from '../util/paths.js';
import type { TrainingKind, TrainingSet } from './dataset.js';

/** Rows in Hugging Face TRL's conversational formats: SFTTrainer, DPOTrainer, GRPOTrainer. */
export type SftRecord = { messages: ChatMessage[] };
export type DpoRecord = { prompt: ChatMessage[]; chosen: ChatMessage[]; rejected: ChatMessage[] };
export type GrpoRecord = { prompt: ChatMessage[]; target: string; target_name: string };
export type TrlRecord = SftRecord | DpoRecord | GrpoRecord;

const SCHEMAS: Record<TrainingKind, object> = {
  sft: JSON.parse(readFileSync(packagePath('schemas/trl-sft.schema.json'), 'utf8')) as object,
  dpo: JSON.parse(readFileSync(packagePath('schemas/trl-dpo.schema.json'), 'utf8')) as object,
  grpo: JSON.parse(readFileSync(packagePath('schemas/trl-grpo.schema.json'), 'utf8')) as object,
};

/**
 * The training set as TRL rows, one at a time (a set made from a large file streams through); SFT rows
 * repeat once per copy (TRL takes no per-row weights), as the same object.
 */
export async function* toTrl(set: TrainingSet, domain: Domain, rules: Rules, render: RenderOptions): AsyncGenerator<TrlRecord> {
  switch (set.kind) {
    case 'sft':
      for await (const { game, copies } of set.rows) {
        const record: SftRecord = { messages: renderGame(domain, rules, game, render) };
        for (let i = 0; i < copies; i++) yield record;
      }
      return;
    case 'dpo':
      for (const p of set.pairs) {
        yield {
          prompt: renderPrompt(domain, rules, p.history, render),
          chosen: [{ role: 'assistant', content: p.chosen.text }],
          rejected: [{ role: 'assistant', content: p.rejected.text }],
        };
      }
      return;
    case 'grpo':
      for (const id of set.targets) yield { prompt: renderPrompt(domain, rules, [], render), target: id, target_name: domain.candidate(id).name };
  }
}

/** Roles must alternate user / assistant after the system prompt. */
function turnOrder(messages: readonly ChatMessage[], last: 'user' | 'assistant'): string | undefined {
  if (messages[0]?.role !== 'system') return 'the first message must be the system prompt';
  for (let i = 1; i < messages.length; i++) {
    const expected = i % 2 === 1 ? 'user' : 'assistant';
    if (messages[i]!.role !== expected) return `message ${i} is from ${messages[i]!.role}, expected ${expected}`;
  }
  if (messages.at(-1)!.role !== last) return `the last message must be from ${last}`;
  return undefined;
}

/** Checks a row against its TRL schema and the turn order; returns what is wrong, or undefined. */
export function checkTrl(kind: TrainingKind, record: unknown): string | undefined {
  const validate = compileSchema(SCHEMAS[kind]);
  if (!validate(record)) return formatAjvErrors(validate.errors).trim();
  if (kind === 'sft') return turnOrder((record as SftRecord).messages, 'assistant');
  return turnOrder((record as DpoRecord | GrpoRecord).prompt, 'user');
}

/**
 * Writes TRL rows as JSONL through `write`, in chunks (awaited: a pipe can push back), every row checked
 * first; throws on the first bad row (what was written before it stays written: write to an
 * AtomicFile to keep nothing). Returns the number of rows.
 */
export async function writeTrl(kind: TrainingKind, records: AsyncIterable<TrlRecord> | Iterable<TrlRecord>, write: (chunk: string) => void | Promise<void>): Promise<number> {
  let chunk = '';
  let last: TrlRecord | undefined;
  let line = '';
  let i = 0;
  for await (const record of records) {
    i++;
    // the copies of a weighted SFT row are one object: check and serialise it once
    if (record !== last) {
      const problem = checkTrl(kind, record);
      if (problem) throw new Error(`TRL ${kind} row ${i} is not valid: ${problem}`);
      line = JSON.stringify(record) + '\n';
      last = record;
    }
    chunk += line;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  if (chunk.length > 0) await write(chunk);
  return i;
}

/** TRL rows as one JSONL string (small sets, tests). */
export async function trlJsonl(kind: TrainingKind, records: AsyncIterable<TrlRecord> | Iterable<TrlRecord>): Promise<string> {
  let out = '';
  await writeTrl(kind, records, (chunk) => void (out += chunk));
  return out;
}
