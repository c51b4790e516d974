import { withArticle, type Candidate, type Domain } from './domain.js';
import { parseMove } from './parse.js';
import type { Answer, Move, Rules, Trajectory, Turn } from './types.js';

/** One message of a chat conversation, as chat templates and TRL's conversational formats take it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface RenderOptions {
  /** List the candidates in the system prompt (a closed-set game); false plays it open-set. */
  show_candidates: boolean;
}

export const DEFAULT_RENDER: RenderOptions = { show_candidates: true };

/** The answerer's first line, so that every conversation has a user turn before the first question. */
export const OPENING = 'I am ready. Ask your first question.';

/**
 * The rules as the questioner model reads them. One rendering for every export and every model
 * backend, so that a model is evaluated on exactly the prompt it was trained on.
 */
export function systemPrompt(domain: Domain, rules: Rules, options: RenderOptions = DEFAULT_RENDER, moves: MoveForm = 'text'): string {
  const key = `${rules.max_questions}/${rules.wrong_guess}/${options.show_candidates}/${moves}`;
  let prompts = promptCache.get(domain);
  if (!prompts) promptCache.set(domain, (prompts = new Map<string, string>()));
  let prompt = prompts.get(key);
  if (prompt === undefined) prompts.set(key, (prompt = writeSystemPrompt(domain, rules, options, moves)));
  return prompt;
}

/** How the questioner makes its moves: as plain text, or by calling the `ask` and `guess` tools (game/tools.ts). */
export type MoveForm = 'text' | 'tools';

/** Built once per domain and rules: exporting a data set renders it for every row. */
const promptCache = new WeakMap<Domain, Map<string, string>>();

function writeSystemPrompt(domain: Domain, rules: Rules, options: RenderOptions, moves: MoveForm): string {
  const noun = domain.noun;
  const secret = options.show_candidates ? `I am thinking of one of these ${domain.size} ${domain.plural}: ${domain.candidates.map((c) => c.name).join(', ')}.` : `I am thinking of ${domain.aNoun}.`;
  const wrong = rules.wrong_guess === 'continue' ? 'a wrong guess is answered "no" and the game goes on' : 'a wrong guess ends the game';
  return [
    `You are playing 20 Questions. ${secret}`,
    `Find it by asking yes/no questions, one per turn; I answer "yes", "no" or "I don't know".`,
    moves === 'text'
      ? `To guess, ask "Is it ${withArticle(`<${noun}>`)}?". A guess counts as one of your ${rules.max_questions} questions; ${wrong}.`
      : `Ask with the ask tool; to guess, call the guess tool with the ${noun}'s name. A guess counts as one of your ${rules.max_questions} questions; ${wrong}.`,
    moves === 'text' ? 'Win in as few questions as you can. Reply with your question only.' : 'Win in as few questions as you can. Make one tool call per turn.',
  ].join('\n');
}

/** How the answerer tells the questioner a move was invalid; readTurn finds the reason between them. */
const INVALID_OPENING = 'That is not a yes/no question or a guess (';
const INVALID_CLOSING = '). Ask one question.';

/** What the answerer says back to a move. */
export function answerText(move: Move, answer: Answer | undefined, domain: Domain): string {
  if (move.kind === 'invalid') return `${INVALID_OPENING}${move.reason}${INVALID_CLOSING}`;
  if (move.kind === 'guess') return answer === 'yes' ? `Yes! It is ${withArticle(domain.candidate(move.candidate).name)}.` : 'No.';
  return answerWord(answer ?? 'unknown');
}

/** The answer a reply gives ("Yes.", "Yes! It is a zebra.", "No.", "I don't know."); undefined when it gives none. */
export function readAnswer(text: string): Answer | undefined {
  const t = text.trim();
  if (/^(?:yes|yeah|yep)\b/i.test(t)) return 'yes';
  if (/^(?:no|nope)\b/i.test(t)) return 'no';
  if (/^(?:i don't know|i do not know|i'm not sure|unknown)\b/i.test(t)) return 'unknown';
  return undefined;
}

/** The wording of every attribute's question and paraphrases, by domain. */
const phrasings = new WeakMap<Domain, Map<string, string>>();

/**
 * The attribute whose question (or a paraphrase of it) is exactly this text. A policy that knows the
 * attribute writes its question word for word, so this restores what the text lost; a free-form
 * question gets none, for the answerer to interpret as it would any person's question.
 */
export function phrasedAttribute(domain: Domain, text: string): string | undefined {
  let map = phrasings.get(domain);
  if (!map) {
    phrasings.set(domain, (map = new Map<string, string>()));
    for (const a of domain.attributes) for (const phrasing of [...a.paraphrases, a.question]) map.set(phrasing, a.id);
  }
  return map.get(text.trim());
}

/** A reply read as a move (see parseMove), with the attribute its question's exact wording stands for. */
export function readMove(reply: string, domain: Domain): Move {
  const move = parseMove(reply, domain);
  if (move.kind !== 'question') return move;
  const attribute = phrasedAttribute(domain, move.text);
  return attribute === undefined ? move : { ...move, attribute };
}

/** A conversation that cannot be read as a game (roles out of order, an answer that is not one). */
export class ChatError extends Error {}

/**
 * One turn read back from a move (its text, or the move a tool call made) and what the answerer said
 * to it. The answerer's word decides whether the move was invalid (its reason is in the reply), so the
 * reading agrees with the game that was played even for a reply that parses differently today.
 */
export function readTurn(reply: string | Move, response: string, domain: Domain): Turn {
  const text = typeof reply === 'string' ? reply : reply.text;
  if (response.startsWith(INVALID_OPENING) && response.endsWith(INVALID_CLOSING)) {
    return { move: { kind: 'invalid', text, reason: response.slice(INVALID_OPENING.length, -INVALID_CLOSING.length) } };
  }
  const move = typeof reply === 'string' ? readMove(reply, domain) : reply;
  if (move.kind === 'invalid') return { move };
  const answer = readAnswer(response);
  if (!answer) throw new ChatError(`the reply ${JSON.stringify(response)} to ${JSON.stringify(text)} is not an answer: expected "Yes.", "No." or "I don't know."`);
  return { move, answer };
}

/**
 * The turns of a game from its conversation as renderPrompt writes it (the exact inverse on games it
 * rendered): a system prompt, the opening, then assistant moves each answered by a user message. A
 * conversation may end with either role; a last move without its answer is not a turn yet.
 */
export function readTurns(messages: readonly ChatMessage[], domain: Domain): Turn[] {
  const turns: Turn[] = [];
  let i = openingEnd(messages);
  for (; i + 1 < messages.length; i += 2) {
    const move = messages[i]!;
    const response = messages[i + 1]!;
    if (move.role !== 'assistant' || response.role !== 'user') {
      throw new ChatError(`message ${i}: expected an assistant move and the user's answer, got ${move.role} then ${response.role}`);
    }
    turns.push(readTurn(textOf(move.content, i), textOf(response.content, i + 1), domain));
  }
  if (i < messages.length && messages[i]!.role !== 'assistant') throw new ChatError(`message ${i}: expected an assistant move, got ${messages[i]!.role}`);
  return turns;
}

/** Where the moves begin: after the system prompt(s) and the answerer's opening user message. */
export function openingEnd(messages: readonly { role: string }[]): number {
  let i = 0;
  while (messages[i]?.role === 'system') i++;
  if (messages[i]?.role !== 'user') throw new ChatError(`message ${i}: expected the opening user message ("${OPENING}") after the system prompt`);
  return i + 1;
}

/** A message's text; content as parts ([{type: 'text', text}]) is joined. */
export function textOf(content: unknown, index: number): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content) && content.every((p) => p && typeof p === 'object' && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string')) {
    return content.map((p) => (p as { text: string }).text).join('');
  }
  throw new ChatError(`message ${index}: content must be a string or a list of text parts`);
}

/** The conversation before the next move: system prompt, opening, then question and answer turns. Ends with a user turn. */
export function renderPrompt(domain: Domain, rules: Rules, turns: readonly Turn[], options: RenderOptions = DEFAULT_RENDER): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: 'system', content: systemPrompt(domain, rules, options) },
    { role: 'user', content: OPENING },
  ];
  for (const { move, answer } of turns) {
    messages.push({ role: 'assistant', content: move.text });
    messages.push({ role: 'user', content: answerText(move, answer, domain) });
  }
  return messages;
}

/** A whole game as a conversation ending with the questioner's last move (for supervised fine-tuning). */
export function renderGame(domain: Domain, rules: Rules, game: Trajectory, options: RenderOptions = DEFAULT_RENDER): ChatMessage[] {
  const messages = renderPrompt(domain, rules, game.turns, options);
  if (game.turns.length > 0) messages.pop(); // the answer to the last move teaches the questioner nothing
  return messages;
}

/** How the child answerer is told who it is, unless a persona is given. */
export const DEFAULT_PERSONA = 'You are a cheerful eight-year-old child playing 20 Questions with a friend.';

/**
 * The system prompt of the answerer model: a persona, the secret on a line of its own (findSecret
 * reads it back, so a server can answer as any answerer plugin), and how to answer.
 */
export function answererPrompt(domain: Domain, target: Candidate, persona: string = DEFAULT_PERSONA): string {
  const noun = domain.noun;
  return [
    persona,
    `${SECRET_LABEL(noun)}${target.name}`,
    `Your friend asks yes/no questions to find the ${noun}. Answer each question truthfully about the ${target.name} with exactly one of: "Yes.", "No." or "I don't know." (when you are not sure or the question has no yes/no answer). Never say its name unless your friend guesses it.`,
  ].join('\n');
}

const SECRET_LABEL = (noun: string) => `The secret ${noun}: `;

/** The secret candidate named in an answerer prompt (see answererPrompt); undefined when none is. */
export function findSecret(prompt: string, domain: Domain): Candidate | undefined {
  const label = SECRET_LABEL(domain.noun);
  const line = prompt.split('\n').find((l) => l.startsWith(label));
  if (line === undefined) return undefined;
  const name = line.slice(label.length).trim();
  return domain.findCandidate(name) ?? (domain.candidateIndexOf(name) !== undefined ? domain.candidate(name) : undefined);
}

/** What the answerer replies to a question: "Yes.", "No." or "I don't know.". */
export function answerWord(answer: Answer): string {
  return answer === 'yes' ? 'Yes.' : answer === 'no' ? 'No.' : "I don't know.";
}

/**
 * The answerer model's conversation: its system prompt, the questions asked so far (user) with its
 * answers (assistant), then the question to answer. Invalid moves are not shown: nothing was asked.
 */
export function renderAnswererPrompt(domain: Domain, target: Candidate, history: readonly Turn[], question: string, persona?: string): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: answererPrompt(domain, target, persona) }];
  for (const { move, answer } of history) {
    if (move.kind === 'invalid' || answer === undefined) continue;
    messages.push({ role: 'user', content: move.text }, { role: 'assistant', content: answerWord(answer) });
  }
  messages.push({ role: 'user', content: question });
  return messages;
}

/** The answerer's conversation read back (the inverse of renderAnswererPrompt): the secret, the turns so far and the question. */
export function readAnswererChat(messages: readonly ChatMessage[], domain: Domain): { target: Candidate; history: Turn[]; question: string } {
  const system = messages[0];
  if (system?.role !== 'system') throw new ChatError("message 0: expected the answerer's system prompt naming the secret");
  const target = findSecret(textOf(system.content, 0), domain);
  if (!target) throw new ChatError(`message 0: the system prompt names no ${domain.noun} of ${domain.name} (expected a line "${SECRET_LABEL(domain.noun)}<name>")`);
  const history: Turn[] = [];
  let i = 1;
  for (; i + 1 < messages.length; i += 2) {
    const question = messages[i]!;
    const response = messages[i + 1]!;
    if (question.role !== 'user' || response.role !== 'assistant') throw new ChatError(`message ${i}: expected a user question and the assistant's answer, got ${question.role} then ${response.role}`);
    history.push(readTurn(textOf(question.content, i), textOf(response.content, i + 1), domain));
  }
  const last = messages[i];
  if (last?.role !== 'user') throw new ChatError(`message ${i}: the conversation must end with the user's question`);
  return { target, history, question: textOf(last.content, i) };
}
