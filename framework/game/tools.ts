import { answerText, ChatError, DEFAULT_RENDER, OPENING, openingEnd, readMove, readTurn, systemPrompt, textOf, type ChatMessage, type RenderOptions } from './chat.js';
import { guessQuestion, type Domain } from './domain.js';
import { notACandidate } from './parse.js';
import type { Move, Rules, Trajectory, Turn } from './types.js';

/**
 * The questioner's moves as function tools: `ask(question)` and `guess(animal)`. One definition for
 * every model that plays with tools (the `api` policy, `twentyq serve`, the TRL backend's environment),
 * in the OpenAI chat-completions format.
 */
export interface ChatTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A conversation played with tools: moves are assistant tool calls, their answers `tool` messages. */
export type ToolChatMessage = ChatMessage | { role: 'assistant'; content: string | null; tool_calls: ToolCall[] } | { role: 'tool'; tool_call_id: string; content: string };

export function gameTools(domain: Domain): ChatTool[] {
  const noun = domain.noun;
  return [
    {
      type: 'function',
      function: {
        name: 'ask',
        description: `Ask one yes/no question about the secret ${noun}. The answer is "Yes.", "No." or "I don't know.".`,
        parameters: {
          type: 'object',
          properties: { question: { type: 'string', description: 'The question, e.g. "Does it live in water?"' } },
          required: ['question'],
          additionalProperties: false,
        },
      },
    },
    {
      type: 'function',
      function: {
        name: 'guess',
        description: `Guess the secret ${noun} by its name; a guess counts as a question.`,
        parameters: {
          type: 'object',
          properties: { [ANIMAL]: { type: 'string', description: `The ${noun}'s name, e.g. "zebra"` } },
          required: [ANIMAL],
          additionalProperties: false,
        },
      },
    },
  ];
}

/** The guess tool's argument; named after the default domain whatever the domain's noun, so that the tool never changes. */
const ANIMAL = 'animal';

/** A valid move as the tool call that makes it; an invalid move has none (it is rendered as text). */
export function moveToToolCall(move: Move, domain: Domain, id: string): ToolCall | undefined {
  if (move.kind === 'invalid') return undefined;
  const call = move.kind === 'guess' ? { name: 'guess', arguments: JSON.stringify({ [ANIMAL]: domain.candidate(move.candidate).name }) } : { name: 'ask', arguments: JSON.stringify({ question: move.text }) };
  return { id, type: 'function', function: call };
}

/**
 * The move a tool call makes. A guess names a candidate; a question is read like a text move, so
 * `ask("Is it a zebra?")` is a guess too (as it would be in text). Anything else is an invalid move
 * whose text shows the call.
 */
export function moveFromToolCall(call: { function: { name: string; arguments: string } }, domain: Domain): Move {
  const { name, arguments: raw } = call.function;
  const text = `${name}(${raw})`;
  let args: unknown;
  try {
    args = JSON.parse(raw);
  } catch {
    return { kind: 'invalid', text, reason: `the arguments of ${name} are not JSON` };
  }
  const value = (key: string) => (args && typeof args === 'object' ? (args as Record<string, unknown>)[key] : undefined);
  if (name === 'guess') {
    const animal = value(ANIMAL);
    if (typeof animal !== 'string') return { kind: 'invalid', text, reason: `guess needs a string "${ANIMAL}"` };
    const candidate = domain.findCandidate(animal);
    if (!candidate) return { kind: 'invalid', text, reason: notACandidate(animal, domain) };
    return { kind: 'guess', text: guessQuestion(candidate), candidate: candidate.id };
  }
  if (name === 'ask') {
    const question = value('question');
    if (typeof question !== 'string') return { kind: 'invalid', text, reason: 'ask needs a string "question"' };
    const move = readMove(question, domain);
    return move.kind === 'invalid' ? { ...move, text } : move;
  }
  return { kind: 'invalid', text, reason: `unknown tool "${name}" (the tools are ask and guess)` };
}

/** The id of the tool call of turn i, as rendered conversations number them. */
const callId = (turn: number) => `call_${turn + 1}`;

/**
 * The conversation before the next move, played with tools: the system prompt, the opening, then each
 * move as an assistant tool call answered by a `tool` message. An invalid move has no call to answer:
 * it stays assistant text, answered by a user message, as in the text rendering.
 */
export function renderToolPrompt(domain: Domain, rules: Rules, turns: readonly Turn[], options: RenderOptions = DEFAULT_RENDER): ToolChatMessage[] {
  const messages: ToolChatMessage[] = [
    { role: 'system', content: systemPrompt(domain, rules, options, 'tools') },
    { role: 'user', content: OPENING },
  ];
  turns.forEach(({ move, answer }, i) => {
    const call = moveToToolCall(move, domain, callId(i));
    const response = answerText(move, answer, domain);
    if (call) messages.push({ role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: response });
    else messages.push({ role: 'assistant', content: move.text }, { role: 'user', content: response });
  });
  return messages;
}

/** A whole game played with tools, ending with the questioner's last move (for supervised fine-tuning). */
export function renderToolGame(domain: Domain, rules: Rules, game: Trajectory, options: RenderOptions = DEFAULT_RENDER): ToolChatMessage[] {
  const messages = renderToolPrompt(domain, rules, game.turns, options);
  if (game.turns.length > 0) messages.pop(); // the answer to the last move teaches the questioner nothing
  return messages;
}

/**
 * The turns of a game from a conversation with tool calls or text moves or both (the exact inverse of
 * renderToolPrompt and of renderPrompt on games they rendered). A move is one tool call answered by
 * the `tool` message with its id, or assistant text answered by a user message.
 */
export function readToolTurns(messages: readonly ToolChatMessage[], domain: Domain): Turn[] {
  const turns: Turn[] = [];
  let i = openingEnd(messages);
  for (; i + 1 < messages.length; i += 2) {
    const move = messages[i]!;
    const response = messages[i + 1]!;
    if (move.role !== 'assistant') throw new ChatError(`message ${i}: expected an assistant move, got ${move.role}`);
    const calls = 'tool_calls' in move ? (move.tool_calls ?? []) : [];
    if (calls.length > 1) throw new ChatError(`message ${i}: ${calls.length} tool calls in one message; a turn is one move`);
    const call = calls[0];
    if (call) {
      if (response.role !== 'tool' || response.tool_call_id !== call.id) throw new ChatError(`message ${i + 1}: expected the tool message answering call ${call.id}`);
      turns.push(readTurn(moveFromToolCall(call, domain), textOf(response.content, i + 1), domain));
    } else {
      if (response.role !== 'user') throw new ChatError(`message ${i + 1}: expected the user's answer to a text move, got ${response.role}`);
      turns.push(readTurn(textOf(move.content, i), textOf(response.content, i + 1), domain));
    }
  }
  if (i < messages.length && messages[i]!.role !== 'assistant') throw new ChatError(`message ${i}: expected an assistant move, got ${messages[i]!.role}`);
  return turns;
}
