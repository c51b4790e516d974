import { withArticle, type Domain } from './domain.js';
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
export function systemPrompt(domain: Domain, rules: Rules, options: RenderOptions = DEFAULT_RENDER): string {
  const key = `${rules.max_questions}/${rules.wrong_guess}/${options.show_candidates}`;
  let prompts = promptCache.get(domain);
  if (!prompts) promptCache.set(domain, (prompts = new Map()));
  let prompt = prompts.get(key);
  if (prompt === undefined) prompts.set(key, (prompt = writeSystemPrompt(domain, rules, options)));
  return prompt;
}

/** Built once per domain and rules: exporting a data set renders it for every row. */
const promptCache = new WeakMap<Domain, Map<string, string>>();

function writeSystemPrompt(domain: Domain, rules: Rules, options: RenderOptions): string {
  const noun = domain.noun;
  const secret = options.show_candidates
    ? `I am thinking of one of these ${domain.size} ${noun}s: ${domain.candidates.map((c) => c.name).join(', ')}.`
    : `I am thinking of ${withArticle(noun)}.`;
  const wrong = rules.wrong_guess === 'continue' ? 'a wrong guess is answered "no" and the game goes on' : 'a wrong guess ends the game';
  return [
    `You are playing 20 Questions. ${secret}`,
    `Find it by asking yes/no questions, one per turn; I answer "yes", "no" or "I don't know".`,
    `To guess, ask "Is it ${withArticle(`<${noun}>`)}?". A guess counts as one of your ${rules.max_questions} questions; ${wrong}.`,
    'Win in as few questions as you can. Reply with your question only.',
  ].join('\n');
}

/** What the answerer says back to a move. */
export function answerText(move: Move, answer: Answer | undefined, domain: Domain): string {
  if (move.kind === 'invalid') return `That is not a yes/no question or a guess (${move.reason}). Ask one question.`;
  if (move.kind === 'guess') return answer === 'yes' ? `Yes! It is ${withArticle(domain.candidate(move.candidate).name)}.` : 'No.';
  return answer === 'yes' ? 'Yes.' : answer === 'no' ? 'No.' : "I don't know.";
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
