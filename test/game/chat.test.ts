import { describe, expect, it } from 'vitest';
import { answererPrompt, ChatError, DEFAULT_PERSONA, findSecret, readAnswer, readAnswererChat, readTurns, renderAnswererPrompt, renderGame, renderPrompt } from '../../framework/game/chat.js';
import { playGames } from '../../framework/game/engine.js';
import { parseMove } from '../../framework/game/parse.js';
import { gameTools, moveFromToolCall, moveToToolCall, readToolTurns, renderToolGame, renderToolPrompt, type ToolChatMessage } from '../../framework/game/tools.js';
import type { GameView, Move, Rules, Trajectory } from '../../framework/game/types.js';
import infogain from '../../plugins/policies/infogain.js';
import kb from '../../plugins/answerers/kb.js';
import random from '../../plugins/policies/random.js';
import type { Answerer, Policy, PluginContext } from '../../framework/plugins/types.js';
import { animals90 } from '../helpers.js';

const domain = animals90();
const rules: Rules = { max_questions: 20, wrong_guess: 'continue' };
const context = { domain, rules, baseDir: '.' } as PluginContext;
const answerer = kb.create({ threshold: 0.6, unknown: 'say' }, context) as Answerer;

/**
 * A questioner that plays like a language model: infogain's moves, but now and then a free-form
 * question, a reply that is not a move, or a guess of something that is not a candidate.
 */
function sloppy(inner: Policy): Policy {
  return {
    async act(games: readonly GameView[]) {
      const moves = await inner.act(games);
      return moves.map((move, i) => {
        const r = games[i]!.rng.next();
        if (r < 0.1) return parseMove('Hmm, I am not sure what to ask.', domain);
        if (r < 0.15) return parseMove('Is it a unicorn?', domain);
        if (r < 0.2) return parseMove('Guess: dragon', domain);
        if (r < 0.3) return parseMove('Does it have a long neck and spots?', domain);
        return move;
      });
    },
  };
}

/** Real games of every kind: the expert, a noisy expert, a random player (losses, wrong guesses), a sloppy one (invalid and free-form moves). */
async function realGames(): Promise<Trajectory[]> {
  const specs = domain.candidates.map((c, i) => ({ game: i, seed: 1000 + i, target: c.id }));
  const policies: Policy[] = [
    infogain.create({ epsilon: 0, temperature: 0, unknown: 'auto' }, context) as Policy,
    infogain.create({ epsilon: 0.3, temperature: 0.5, unknown: 'auto' }, context) as Policy,
    random.create({}, context) as Policy,
    sloppy(infogain.create({ epsilon: 0.2, temperature: 0, unknown: 'auto' }, context) as Policy),
  ];
  const games: Trajectory[] = [];
  for (const policy of policies) games.push(...(await playGames(specs, { domain, rules, policy, answerer, policyLabel: 'p' })));
  return games;
}

describe('reading a conversation back into turns', async () => {
  const games = await realGames();

  it('plays games with every kind of move (the round trips below cover them all)', () => {
    const moves = games.flatMap((g) => g.turns.map((t) => t.move));
    const kinds = new Set(moves.map((m) => (m.kind === 'question' ? (m.attribute ? 'attribute' : 'free') : m.kind)));
    expect([...kinds].sort()).toEqual(['attribute', 'free', 'guess', 'invalid']);
    expect(games.some((g) => g.outcome === 'loss' && g.questions === 20)).toBe(true);
    expect(games.flatMap((g) => g.turns).some((t) => t.move.kind === 'question' && t.answer === 'unknown')).toBe(true);
  });

  it('readTurns is the inverse of renderPrompt, at every step of every game', () => {
    for (const game of games) {
      for (let n = 0; n <= game.turns.length; n++) expect(readTurns(renderPrompt(domain, rules, game.turns.slice(0, n)), domain)).toEqual(game.turns.slice(0, n));
    }
  });

  it('readTurns reads a whole game for fine-tuning, the last move without its answer dropped', () => {
    for (const game of games.slice(0, 90)) expect(readTurns(renderGame(domain, rules, game), domain)).toEqual(game.turns.slice(0, -1));
  });

  it('readToolTurns is the inverse of renderToolPrompt, and reads text conversations too', () => {
    for (const game of games) {
      expect(readToolTurns(renderToolPrompt(domain, rules, game.turns), domain)).toEqual(game.turns);
      expect(readToolTurns(renderPrompt(domain, rules, game.turns), domain)).toEqual(game.turns);
      expect(readToolTurns(renderToolGame(domain, rules, game), domain)).toEqual(game.turns.slice(0, -1));
    }
  });

  it('renders valid moves as one tool call each, answered by a tool message with its id; invalid moves as text', () => {
    const game = games.find((g) => g.invalid > 0 && g.turns.some((t) => t.move.kind === 'guess'))!;
    const messages = renderToolPrompt(domain, rules, game.turns);
    expect(messages[0]!.content).toContain('guess tool');
    game.turns.forEach((turn, i) => {
      const [move, response] = [messages[2 + 2 * i]!, messages[3 + 2 * i]!];
      if (turn.move.kind === 'invalid') {
        expect(move).toEqual({ role: 'assistant', content: turn.move.text });
        expect(response.role).toBe('user');
      } else {
        const call = (move as Extract<ToolChatMessage, { tool_calls: unknown }>).tool_calls[0]!;
        expect(call.function.name).toBe(turn.move.kind === 'guess' ? 'guess' : 'ask');
        expect(response).toMatchObject({ role: 'tool', tool_call_id: call.id });
      }
    });
  });

  it('a tool call reads back into the move it was made from', () => {
    for (const move of games.flatMap((g) => g.turns.map((t) => t.move))) {
      const call = moveToToolCall(move, domain, 'call_1');
      if (move.kind === 'invalid') expect(call).toBeUndefined();
      else expect(moveFromToolCall(call!, domain)).toEqual(move);
    }
  });

  it('reads bad tool calls as invalid moves that say why', () => {
    const call = (name: string, args: string) => moveFromToolCall({ function: { name, arguments: args } }, domain);
    expect(call('guess', '{"animal":"Giraffes"}')).toEqual({ kind: 'guess', text: 'Is it a giraffe?', candidate: 'giraffe' });
    expect(call('ask', '{"question":"Is it a zebra?"}')).toMatchObject({ kind: 'guess', candidate: 'zebra' });
    expect(call('guess', '{"animal":"dragon"}')).toMatchObject({ kind: 'invalid', text: 'guess({"animal":"dragon"})', reason: expect.stringContaining('not one of the 90') });
    expect(call('ask', '{"question":')).toMatchObject({ kind: 'invalid', reason: 'the arguments of ask are not JSON' });
    expect(call('ask', '{"q":"Does it fly?"}')).toMatchObject({ kind: 'invalid', reason: 'ask needs a string "question"' });
    expect(call('ask', '{"question":"I like cats"}')).toMatchObject({ kind: 'invalid', text: 'ask({"question":"I like cats"})' });
    expect(call('shout', '{}')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('unknown tool "shout"') });
  });

  it('defines the tools once, as OpenAI function tools', () => {
    expect(gameTools(domain).map((t) => [t.type, t.function.name, (t.function.parameters as { required: string[] }).required])).toEqual([
      ['function', 'ask', ['question']],
      ['function', 'guess', ['animal']],
    ]);
  });

  it('refuses conversations that are not a game, saying where', () => {
    const [system, opening] = renderPrompt(domain, rules, []);
    expect(() => readTurns([system!], domain)).toThrow(/message 1: expected the opening user message/);
    expect(() => readTurns([system!, opening!, { role: 'user', content: 'Yes.' }], domain)).toThrow(ChatError);
    expect(() => readTurns([system!, opening!, { role: 'assistant', content: 'Is it a mammal?' }, { role: 'user', content: 'Perhaps' }], domain)).toThrow(/"Perhaps" to "Is it a mammal\?" is not an answer/);
    const call = { id: 'a', type: 'function' as const, function: { name: 'ask', arguments: '{"question":"Does it fly?"}' } };
    expect(() => readToolTurns([system!, opening!, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'b', content: 'No.' }], domain)).toThrow(/answering call a/);
    expect(() => readToolTurns([system!, opening!, { role: 'assistant', content: null, tool_calls: [call, call] }, { role: 'tool', tool_call_id: 'a', content: 'No.' }], domain)).toThrow(/2 tool calls/);
  });

  it('reads answers the way people and models write them', () => {
    expect(['Yes.', 'Yes! It is a zebra.', 'yep', 'No.', 'nope, sorry', "I don't know.", 'Unknown', 'Maybe?', 'Not sure'].map(readAnswer)).toEqual(['yes', 'yes', 'yes', 'no', 'no', 'unknown', 'unknown', undefined, undefined]);
  });
});

describe('the answerer conversation', async () => {
  const games = await realGames();

  it('names the secret so that findSecret finds it back, with any persona', () => {
    for (const c of domain.candidates) {
      expect(findSecret(answererPrompt(domain, c), domain)).toBe(c);
      expect(findSecret(answererPrompt(domain, c, 'You are a grumpy pirate.'), domain)).toBe(c);
    }
    expect(answererPrompt(domain, domain.candidate('zebra'))).toContain(DEFAULT_PERSONA);
    expect(findSecret('You are a child. Think of an animal.', domain)).toBeUndefined();
  });

  it('readAnswererChat is the inverse of renderAnswererPrompt (invalid moves are never shown to the answerer)', () => {
    for (const game of games) {
      const target = domain.candidate(game.target);
      game.turns.forEach((turn, n) => {
        if (turn.move.kind === 'invalid') return;
        const history = game.turns.slice(0, n);
        const read = readAnswererChat(renderAnswererPrompt(domain, target, history, turn.move.text), domain);
        expect(read).toEqual({ target, history: history.filter((t) => t.move.kind !== 'invalid'), question: turn.move.text });
      });
    }
  });

  it('refuses an answerer conversation without a secret or a question', () => {
    const zebra = domain.candidate('zebra');
    expect(() =>
      readAnswererChat(
        [
          { role: 'system', content: 'Be nice.' },
          { role: 'user', content: 'Does it fly?' },
        ],
        domain,
      ),
    ).toThrow(/names no animal/);
    expect(() => readAnswererChat(renderAnswererPrompt(domain, zebra, [], 'Does it fly?').slice(0, 1), domain)).toThrow(/end with the user's question/);
  });
});

// The moves above come from plugins; one hand-written check that a move with an attribute keeps it.
it('a move read back keeps the attribute its wording names', () => {
  const attribute = domain.attributes[0]!;
  const move: Move = { kind: 'question', text: attribute.question, attribute: attribute.id };
  expect(readTurns(renderPrompt(domain, rules, [{ move, answer: 'no' }]), domain)).toEqual([{ move, answer: 'no' }]);
});
