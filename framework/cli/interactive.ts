import { parse as parseYaml } from 'yaml';
import { guessQuestion, type Candidate } from '../game/domain.js';
import { parseMove } from '../game/parse.js';
import { answerOf, type Answer, type GameView, type Rules, type Turn } from '../game/types.js';
import { PluginFactory, type RawRef } from '../plugins/factory.js';
import { Rng } from '../util/rng.js';
import { UsageError } from './shared.js';

/** Line-based input and output, so a game can be played in a terminal or driven by a test. */
export interface Io {
  /** Shows a prompt and reads one line; undefined at end of input; rejects with Interrupted on Ctrl-C. */
  ask(prompt: string): Promise<string | undefined>;
  say(line: string): void;
}

/** The person pressed Ctrl-C: the game stops without a verdict. */
export class Interrupted extends Error {
  constructor() {
    super('stopped (Ctrl-C)');
  }
}

export interface PlayOptions {
  domain: RawRef;
  rules: Rules;
  answerer: RawRef;
  policy: RawRef;
  /** The candidate to think of (questioner mode); drawn with the seed when absent. */
  target?: string;
  seed: number;
  baseDir: string;
}

/**
 * A plugin given on the command line: a name, a path, or YAML such as {use: infogain, with: {epsilon: 0.2}};
 * a table file (.csv, .yaml, .yml) is the `table` domain over it.
 */
export function refFromFlag(value: string): RawRef {
  const trimmed = value.trim();
  if (/\.(csv|ya?ml)$/i.test(trimmed)) return { use: 'table', with: { file: trimmed } };
  if (!trimmed.startsWith('{')) return trimmed;
  return parseYaml(trimmed) as RawRef;
}

function listCandidates(candidates: readonly Candidate[]): string {
  return candidates.map((c) => c.name).join(', ');
}

const YES = /^(y|yes|yeah|yep|true)$/i;
const NO = /^(n|no|nope|false)$/i;
const UNKNOWN = /^(u|unknown|\?|dunno|don't know|idk|maybe|sometimes)$/i;

/** A person asks, the answerer plugin answers. Returns whether the person won. */
export async function playAsQuestioner(options: PlayOptions, io: Io): Promise<boolean> {
  const factory = await PluginFactory.forDomain(options.domain, options.rules, options.baseDir);
  const { domain } = factory;
  const answerer = await factory.create('answerer', options.answerer);
  const rng = new Rng(options.seed);
  const target = options.target ? (domain.findCandidate(options.target) ?? (domain.candidateIndexOf(options.target) !== undefined ? domain.candidate(options.target) : undefined)) : rng.pick(domain.candidates);
  if (!target) throw new UsageError(`"${options.target}" is not one of the ${domain.size} candidates; twentyq play --list shows them`);
  const { max_questions, wrong_guess } = options.rules;
  io.say(`I am thinking of one of ${domain.size} ${domain.plural}. Ask yes/no questions, or guess ("${guessQuestion(domain.candidates[0]!)}").`);
  const help = `Type "list" for the ${domain.plural}, "questions" for the questions ${answerer.understands ? 'I understand' : 'the domain knows'}, "quit" to give up.`;
  io.say(`You have ${max_questions} questions; a guess counts as one${wrong_guess === 'lose' ? ', and a wrong guess loses' : ''}. ${help}`);
  const turns: Turn[] = [];
  while (turns.length < max_questions) {
    const line = await io.ask(`Q${turns.length + 1}/${max_questions}> `);
    if (line === undefined || /^(quit|exit|q)$/i.test(line.trim())) break;
    const command = line.trim().toLowerCase();
    if (command === 'list' || command === domain.plural.toLowerCase()) {
      io.say(listCandidates(domain.candidates));
      continue;
    }
    if (command === 'questions') {
      io.say(domain.attributes.map((a) => `  ${a.question}`).join('\n'));
      continue;
    }
    if (command === 'help') {
      io.say(help);
      continue;
    }
    const move = parseMove(line, domain);
    if (move.kind === 'invalid') {
      // People are not being measured: a line that is not a move costs nothing (a model's would cost a
      // question); say why and ask again. A name that is none of the animals is such a line.
      io.say(`  (not counted: ${move.reason})`);
      continue;
    }
    if (move.kind === 'question' && answerer.understands?.(move) === false) {
      io.say(`  (not understood, so not counted; "questions" lists the ${domain.attributes.length} questions I know)`);
      continue;
    }
    let answer: Answer;
    if (move.kind === 'guess') {
      answer = move.candidate === target.id ? 'yes' : 'no';
      turns.push({ move, answer });
      if (answer === 'yes') {
        io.say(`  yes! It is ${target.name === domain.candidate(move.candidate).name ? 'the ' + target.name : target.name}. You won in ${turns.length} question${turns.length === 1 ? '' : 's'}.`);
        return true;
      }
      io.say('  no');
      if (wrong_guess === 'lose') break;
      continue;
    }
    answer = answerOf(await answerer.answer(move, target, turns, rng));
    turns.push({ move, answer });
    io.say(`  ${answer}`);
  }
  io.say(`You lost: it was the ${target.name}.`);
  return false;
}

/** The policy plugin asks, a person answers. Returns whether the policy won. */
export async function playAsAnswerer(options: PlayOptions, io: Io): Promise<boolean> {
  const factory = await PluginFactory.forDomain(options.domain, options.rules, options.baseDir);
  const policy = await factory.create('policy', options.policy);
  const { max_questions, wrong_guess } = options.rules;
  io.say(`Think of one of the ${factory.domain.size} ${factory.domain.plural} (twentyq play --list shows them). Answer y(es), n(o) or u(nknown); "quit" to stop.`);
  const turns: Turn[] = [];
  const view: GameView = { turns, rules: options.rules, rng: new Rng(options.seed), memo: new Map() };
  while (turns.length < max_questions) {
    const [move] = await policy.act([view]);
    if (!move) throw new Error('the policy returned no move');
    const label = `Q${turns.length + 1}/${max_questions}`;
    if (move.kind === 'invalid') {
      io.say(`${label}: (invalid move: ${move.reason})`);
      turns.push({ move });
      continue;
    }
    let answer: Answer | undefined;
    while (!answer) {
      const line = await io.ask(`${label}: ${move.kind === 'guess' ? guessQuestion(factory.domain.candidate(move.candidate)) : move.text} > `);
      if (line === undefined || /^(quit|exit)$/i.test(line.trim())) return false;
      const reply = line.trim();
      answer = YES.test(reply) ? 'yes' : NO.test(reply) ? 'no' : UNKNOWN.test(reply) ? 'unknown' : undefined;
      if (!answer) io.say('  please answer y, n or u');
      // "maybe" and "sometimes" say something the game cannot carry: the player is told what was recorded
      else if (answer === 'unknown' && !/^(u|unknown)$/i.test(reply)) io.say(`  ("${reply}" taken as unknown)`);
    }
    turns.push({ move, answer });
    if (move.kind === 'guess' && answer === 'yes') {
      io.say(`Got it in ${turns.length} question${turns.length === 1 ? '' : 's'}!`);
      return true;
    }
    if (move.kind === 'guess' && wrong_guess === 'lose') break;
  }
  io.say('I give up: you win.');
  return false;
}
