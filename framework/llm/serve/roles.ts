import { answerWord, ChatError, readAnswererChat, readMove, type ChatMessage } from '../../game/chat.js';
import type { Domain } from '../../game/domain.js';
import { notACandidate, unknownName } from '../../game/parse.js';
import { moveToToolCall, readToolTurns, type ToolChatMessage } from '../../game/tools.js';
import { answerOf, type Answer, type GameView, type Move, type Rules, type Turn, type UnknownAnswers } from '../../game/types.js';
import type { Answerer, Policy } from '../../plugins/types.js';
import { deriveSeed, Rng } from '../../util/rng.js';
import { newToolCallId, type Reply } from '../protocol.js';
import { RequestError } from './http.js';

/** A served model: what it does with a request's messages. */
export type Role = (messages: unknown[], request: Record<string, unknown>) => Promise<Reply>;

/**
 * The questioner: reads the game from the conversation (text or tool calls), asks the policy for the
 * next move from a fresh view of it, and replies with the move's text, or its tool call when the
 * request offers tools. The view's random stream comes from the request's `seed` and the turn number,
 * or from a hash of the conversation, so the same request always gets the same reply. The view says
 * what "unknown" means as the answerer served beside it declares (see UnknownAnswers).
 */
export function questioner(domain: Domain, rules: Rules, policy: Policy, unknowns: UnknownAnswers | undefined): Role {
  return async (messages, request) => {
    const turns = readGame(() => readToolTurns(messages as ToolChatMessage[], domain));
    if ((messages.at(-1) as { role: string }).role === 'assistant') throw new RequestError(400, 'The conversation ends with an assistant move: the questioner waits for its answer (a user or tool message)');
    const over = gameOver(turns, rules);
    if (over) throw new RequestError(400, `The game is over (${over}): there is no move to make`);
    const seed = typeof request.seed === 'number' ? deriveSeed(request.seed, turns.length) : deriveSeed(0, JSON.stringify(messages));
    const view: GameView = { turns, rules, rng: new Rng(seed), memo: new Map(), ...(unknowns ? { unknowns } : {}) };
    const [move] = await policy.act([view]);
    const checked = checkMove(move, domain);
    const call = offersTools(request) ? moveToToolCall(checked, domain, newToolCallId()) : undefined;
    return call ? { content: null, tool_call: call } : { content: checked.text };
  };
}

/**
 * The answerer: finds the secret in the system prompt (game/chat.ts answererPrompt) and answers the
 * last user message. Guesses are settled here as the engine settles them, never by the answerer.
 */
export function answering(domain: Domain, answerer: Answerer): Role {
  return async (messages, request) => {
    const { target, history, question } = readGame(() => readAnswererChat(messages as ChatMessage[], domain));
    const move = readMove(question, domain);
    let answer: Answer;
    if (move.kind === 'guess') answer = move.candidate === target.id ? 'yes' : 'no';
    else {
      const asked = move.kind === 'question' ? move : { kind: 'question' as const, text: question };
      const seed = typeof request.seed === 'number' ? deriveSeed(request.seed, history.length) : deriveSeed(0, JSON.stringify(messages));
      answer = answerOf(await answerer.answer(asked, target, history, new Rng(seed)));
      if (answer !== 'yes' && answer !== 'no' && answer !== 'unknown') throw new Error(`the answerer answered ${JSON.stringify(answer)}; an answerer must return "yes", "no" or "unknown"`);
    }
    return { content: answerWord(answer) };
  };
}

/** Why a game is over (a correct guess, the budget spent, a wrong guess that loses), or undefined. */
function gameOver(turns: readonly Turn[], rules: Rules): string | undefined {
  const last = turns.at(-1);
  if (last?.move.kind === 'guess' && last.answer === 'yes') return 'the last guess was right';
  if (turns.length >= rules.max_questions) return `all ${rules.max_questions} questions are asked`;
  if (last?.move.kind === 'guess' && rules.wrong_guess === 'lose') return 'a wrong guess loses';
  return undefined;
}

/**
 * What a policy returned, held to the contract as the engine holds it (game/engine.ts): a move that is
 * none, or a guess of no candidate id, is a bug in the served policy (a server error, 500, naming it);
 * a question in the guess form naming no candidate is an invalid move, as in a played game.
 */
function checkMove(move: Move | undefined, domain: Domain): Move {
  if (!move || typeof move.text !== 'string' || !['question', 'guess', 'invalid'].includes(move.kind))
    throw new Error(`the served policy returned ${JSON.stringify(move) ?? 'undefined'} as its move, which is none: a move is { kind: "question", text }, { kind: "guess", text, candidate } or { kind: "invalid", text, reason }`);
  if (move.kind === 'guess' && domain.candidateIndexOf(move.candidate) === undefined) {
    throw new Error(`the served policy guessed ${JSON.stringify(move.candidate)}: a guess names a candidate of ${domain.name} by its id (a reply that names no candidate is an invalid move: parseMove makes one)`);
  }
  const unknown = move.kind === 'question' && move.attribute === undefined ? unknownName(move.text, domain) : undefined;
  return unknown === undefined ? move : { kind: 'invalid', text: move.text, reason: notACandidate(unknown, domain) };
}

function offersTools(request: Record<string, unknown>): boolean {
  return Array.isArray(request.tools) && request.tools.length > 0 && request.tool_choice !== 'none';
}

/** Reads a conversation as a game; one that is not a game is the client's error. */
export function readGame<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ChatError) throw new RequestError(400, `messages: ${error.message}`, 'invalid_messages');
    throw error;
  }
}
