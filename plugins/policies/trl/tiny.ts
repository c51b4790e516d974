import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Answerer, answerText, answerWord, deriveSeed, type Domain, guessQuestion, OPENING, playGames, type Policy, renderGame, type Rules, systemPrompt, twentyqHome } from '../../../framework/plugin.js';
import { runPython } from './process.js';

/**
 * The tiny model: a Qwen3-architecture causal LM with random weights and a byte-level BPE tokenizer
 * trained on the domain's own text, built offline by the Python `tiny` command. It is the CPU default
 * of the `trl` backend (reference/llm-backends.md §8: hidden 128, 4 layers, about 1.1M parameters).
 */

/**
 * The architecture by default; part of the cache key. A small vocabulary matters: with 600 tokens a
 * question takes several, and the model learnt the expert's tree (98.9% of the animals after 5 epochs
 * of weighted SFT); with 1024, whole phrases merge into single tokens and it won 57.8% (measured, docs/trl.md).
 */
export const TINY_CONFIG = {
  vocab_size: 600,
  hidden_size: 128,
  layers: 4,
  heads: 4,
  kv_heads: 2,
  intermediate_size: 512,
  max_position_embeddings: 2048,
};

export type TinyConfig = typeof TINY_CONFIG;

/** The rules the corpus renders besides the experiment's own: every variant a prompt can take. */
const VARIANTS: Rules[] = [
  { max_questions: 20, wrong_guess: 'continue' },
  { max_questions: 20, wrong_guess: 'lose' },
];

/**
 * Every text a game of the domain can show the model, one line each: the system prompts in each
 * rendering variant, the opening, every attribute's question and paraphrases, every candidate's guess
 * question and name, every answer, and the games of the `infogain` expert against `kb` for every
 * target, rendered as chats. The tokenizer learns its merges from these lines.
 */
export async function tinyCorpus(domain: Domain, rules: Rules, players: { policy: Policy; answerer: Answerer }, seed: number): Promise<string> {
  const lines: string[] = [];
  for (const r of [rules, ...VARIANTS]) {
    for (const show_candidates of [false, true]) for (const moves of ['text', 'tools'] as const) lines.push(systemPrompt(domain, r, { show_candidates }, moves));
  }
  lines.push(OPENING);
  for (const a of domain.attributes) lines.push(a.question, ...a.paraphrases);
  for (const c of domain.candidates) lines.push(guessQuestion(c), c.name, answerText({ kind: 'guess', text: guessQuestion(c), candidate: c.id }, 'yes', domain));
  lines.push(answerWord('yes'), answerWord('no'), answerWord('unknown'));
  const specs = domain.candidates.map((c, i) => ({ game: i, seed: deriveSeed(seed, 'tiny-corpus', i), target: c.id }));
  const games = await playGames(specs, { domain, rules, policy: players.policy, answerer: players.answerer, policyLabel: 'infogain', answererLabel: 'kb' });
  for (const game of games) for (const m of renderGame(domain, rules, game, { show_candidates: false })) lines.push(m.content);
  return lines.join('\n') + '\n';
}

export interface TinyBuild {
  domain: Domain;
  rules: Rules;
  players: { policy: Policy; answerer: Answerer };
  seed: number;
  python: string;
  /** Changes to the default architecture (TINY_CONFIG). */
  config?: Partial<TinyConfig>;
  /** Where the model goes; default a cache folder under $TWENTYQ_HOME/models named by the domain, seed and a hash of corpus and config. */
  out?: string;
  /** Build again even when the folder holds a model. */
  force?: boolean;
  log?: (line: string) => void;
}

const STAMP = 'twentyq-tiny.json';

/** Builds the tiny model (or finds it built) and returns its folder. */
export async function buildTiny(build: TinyBuild): Promise<{ dir: string; built: boolean }> {
  const corpus = await tinyCorpus(build.domain, build.rules, build.players, build.seed);
  const config = { ...TINY_CONFIG, ...build.config };
  const hash = createHash('sha256').update(corpus).update(JSON.stringify(config)).update(String(build.seed)).digest('hex').slice(0, 10);
  const dir = build.out ?? join(twentyqHome(), 'models', `tiny-${build.domain.name}-${build.seed}-${hash}`);
  if (!build.force && existsSync(join(dir, STAMP)) && existsSync(join(dir, 'config.json'))) return { dir, built: false };
  // built beside its place, then renamed: a half-built model is never found as the cached one
  const work = `${dir}.building-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const corpusFile = join(work, 'corpus.txt');
  writeFileSync(corpusFile, corpus);
  build.log?.(`building the tiny model for ${build.domain.name} (seed ${build.seed}) in ${dir}`);
  try {
    await runPython({
      python: build.python,
      command: 'tiny',
      job: { corpus: corpusFile, output_dir: work, seed: build.seed, ...config },
      jobFile: join(work, 'tiny.job.json'),
      log: join(work, 'tiny.log'),
    });
    writeFileSync(join(work, STAMP), JSON.stringify({ domain: build.domain.name, seed: build.seed, hash, config }, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  return { dir, built: true };
}
