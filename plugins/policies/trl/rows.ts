import {
  choice,
  compileSchema,
  formatAjvErrors,
  isSet,
  renderGame,
  renderPrompt,
  Type,
  type ChatMessage,
  type Domain,
  type DpoSet,
  type GrpoSet,
  type RenderOptions,
  type RowFormat,
  type Rules,
  type SftSet,
  type Static,
  type TrainingSet,
} from '../../../framework/plugin.js';

/** The kinds of training set TRL's trainers take: SFTTrainer, DPOTrainer, GRPOTrainer. */
export const TRL_KINDS = ['sft', 'dpo', 'grpo'] as const;
export type TrainingKind = (typeof TRL_KINDS)[number];

const content = Type.String({ minLength: 1 });
const message = <const R extends readonly string[]>(roles: R) => Type.Object({ role: choice(roles), content }, { additionalProperties: false });
const assistant = Type.Object({ role: Type.Unsafe<'assistant'>({ const: 'assistant' }), content }, { additionalProperties: false });

/** The header of a row's schema file (schemas/trl-<kind>.schema.json). */
const header = (kind: TrainingKind, title: string, description: string) => ({
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: `https://twentyq.dev/schemas/trl-${kind}.schema.json`,
  title,
  description,
  additionalProperties: false,
});

/** Rows in Hugging Face TRL's conversational formats: SFTTrainer, DPOTrainer, GRPOTrainer. */
export const TRL_ROWS = {
  sft: Type.Object(
    { messages: Type.Array(message(['system', 'user', 'assistant']), { minItems: 3 }) },
    header('sft', 'TRL SFTTrainer row (conversational language modeling)', "One training conversation: a system prompt, then alternating user and assistant turns, ending with the questioner's (assistant's) last move."),
  ),
  dpo: Type.Object(
    {
      prompt: Type.Array(message(['system', 'user', 'assistant']), { minItems: 2 }),
      chosen: Type.Array(assistant, { minItems: 1, maxItems: 1 }),
      rejected: Type.Array(assistant, { minItems: 1, maxItems: 1 }),
    },
    header('dpo', 'TRL DPOTrainer row (conversational preference, explicit prompt)', "The conversation so far (ending with the answerer's turn) and two candidate next moves of the questioner: chosen and rejected."),
  ),
  grpo: Type.Object(
    {
      prompt: Type.Array(message(['system', 'user']), { minItems: 2, maxItems: 2 }),
      target: Type.String({ minLength: 1, description: 'The candidate id of the secret animal.' }),
      target_name: Type.Optional(Type.String({ minLength: 1, description: 'Its name, for reward functions that match guesses by name.' })),
    },
    header(
      'grpo',
      'TRL GRPOTrainer row (conversational prompt-only)',
      "The start of a game (system prompt and the answerer's opening) and the secret target as an extra column, which TRL passes to reward functions and environments by name.",
    ),
  ),
};

export type SftRecord = Static<typeof TRL_ROWS.sft>;
export type DpoRecord = Static<typeof TRL_ROWS.dpo>;
export type GrpoRecord = Static<typeof TRL_ROWS.grpo>;
export type TrlRecord = SftRecord | DpoRecord | GrpoRecord;

/**
 * The training set as TRL rows, one at a time (a set made from a large file streams through); SFT rows
 * repeat once per copy (TRL takes no per-row weights), as the same object.
 */
export async function* toTrl(set: TrainingSet, domain: Domain, rules: Rules, render: RenderOptions): AsyncGenerator<TrlRecord> {
  if (isSet<SftSet>(set, 'sft')) {
    for await (const { game, copies } of set.rows) {
      const record: SftRecord = { messages: renderGame(domain, rules, game, render) };
      for (let i = 0; i < copies; i++) yield record;
    }
  } else if (isSet<DpoSet>(set, 'dpo')) {
    for (const p of set.pairs) {
      yield {
        prompt: renderPrompt(domain, rules, p.history, render),
        chosen: [{ role: 'assistant', content: p.chosen.text }],
        rejected: [{ role: 'assistant', content: p.rejected.text }],
      };
    }
  } else if (isSet<GrpoSet>(set, 'grpo')) {
    // a game before its first move: the system prompt and the answerer's opening (each row is checked against its schema)
    const prompt = renderPrompt(domain, rules, [], render) as GrpoRecord['prompt'];
    for (const id of set.targets) yield { prompt, target: id, target_name: domain.candidate(id).name };
  } else {
    throw new Error(`TRL's formats hold ${TRL_KINDS.join(', ')} training sets, not ${set.kind}`);
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
  const validate = compileSchema(TRL_ROWS[kind]);
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

/** TRL's conversational formats, as the row format of `twentyq export` and the dataset stage. */
const format: RowFormat = {
  name: 'trl',
  title: 'TRL',
  kinds: TRL_KINDS,
  write: (set, { domain, rules, render }, write) => {
    if (!(TRL_KINDS as readonly string[]).includes(set.kind)) throw new Error(`TRL's formats hold ${TRL_KINDS.join(', ')} training sets, not ${set.kind}`);
    return writeTrl(set.kind as TrainingKind, toTrl(set, domain, rules, render), write);
  },
};

export default format;
