import type { Domain } from './domain.js';
import type { Move } from './types.js';

/** Explicit guess markers a model may use: "Guess: zebra", "My guess is a zebra", "[zebra]". */
const GUESS_MARKERS = [
  /\bguess\s*[:-]\s*([^.!?\n]+)/i,
  /\bmy (?:final )?guess is\s*[:-]?\s*([^.!?\n]+)/i,
  /\bi(?: will|'ll) guess\s+([^.!?\n]+)/i,
  /^\s*\[([^\]]+)\]\s*$/m,
];

/** Question forms that name one candidate: "Is it a zebra?", "Could it be the zebra?", "Are you a zebra?". */
const NAMING_FORMS = [
  /^(?:so,?\s+)?(?:is it|is this|it is|it's|are you|could it be|can it be|might it be|would it be|maybe|perhaps|i think it(?:'s| is)|you are|is your animal|is the animal)\s+(.+?)[?.!]*$/i,
];

const QUESTION_START = /^(?:is|are|does|do|did|can|could|would|will|has|have|was|were|should|might|may)\b/i;
/** A short label before the move: "Question 5:", "Final answer:", "So my next question is:". */
const PREFIXES = /^[a-z][a-z0-9 ']{0,40}:\s+(?=\S)/i;

function clean(fragment: string): string {
  return fragment
    .replace(/[*_`"“”]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Sentences of a reply, with their final punctuation kept so questions can be told apart. */
function sentences(reply: string): string[] {
  return reply
    .split(/\n+|(?<=[?.!])\s+/)
    .map(clean)
    .map((s) => s.replace(PREFIXES, '').replace(/\?[!.]+$/, '?'))
    .filter((s) => s.length > 0);
}

/**
 * Turns a reply (a person's line, a language model's completion) into a move: a guess when it names
 * one candidate, a question when it asks one, otherwise an invalid move whose reason says what was
 * missing. The last question in a reply wins, so chatter before it is ignored.
 */
export function parseMove(reply: string, domain: Domain): Move {
  const text = reply.trim();
  if (text.length === 0) return { kind: 'invalid', text: reply, reason: 'empty reply' };

  for (const marker of GUESS_MARKERS) {
    const m = marker.exec(text);
    if (!m) continue;
    const named = clean(m[1]!).replace(/[?.!]+$/, '');
    const candidate = domain.findCandidate(named);
    if (candidate) return { kind: 'guess', text: clean(m[0]), candidate: candidate.id };
    return { kind: 'invalid', text: reply, reason: `guessed "${named}", which is not one of the ${domain.size} candidates` };
  }

  const all = sentences(text);
  const named = (sentence: string) => {
    for (const form of NAMING_FORMS) {
      const m = form.exec(sentence);
      const candidate = m && domain.findCandidate(m[1]!);
      if (candidate) return candidate;
    }
    return undefined;
  };
  const question = all.filter((s) => s.endsWith('?')).at(-1);
  // A statement that names one candidate ("I think it's a penguin!") is a guess when nothing is asked.
  const statement = question ? undefined : all.findLast((s) => named(s) !== undefined);
  const chosen = question ?? statement ?? all.find((s) => QUESTION_START.test(s));
  if (!chosen) {
    return { kind: 'invalid', text: reply, reason: 'no question (a sentence ending in "?") and no guess found' };
  }
  const candidate = named(chosen);
  if (candidate) return { kind: 'guess', text: chosen, candidate: candidate.id };
  return { kind: 'question', text: chosen.endsWith('?') ? chosen : chosen + '?' };
}
