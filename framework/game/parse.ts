import type { Domain } from './domain.js';
import { AttributeMatcher } from './matcher.js';
import type { Move } from './types.js';

/** Explicit guess markers a model may use: "Guess: zebra", "My guess is a zebra", "[zebra]". */
const GUESS_MARKERS = [/\bguess\s*[:-]\s*([^.!?\n]+)/i, /\bmy (?:final )?guess is\s*[:-]?\s*([^.!?\n]+)/i, /\bi(?: will|'ll) guess\s+([^.!?\n]+)/i, /^\s*\[([^\]]+)\]\s*$/m];

/** Question forms that name one candidate: "Is it a zebra?", "Could it be the zebra?", "Are you a zebra?". */
const NAMING_FORMS = [/^(?:so,?\s+)?(?:is it|is this|it is|it's|are you|could it be|can it be|might it be|would it be|maybe|perhaps|i think it(?:'s| is)|you are|is your animal|is the animal)\s+(.+?)[?.!]*$/i];

/**
 * The object of a naming form that reads as a name: an article and one to three words ("a piran", "the
 * sea lionfish"), none of them a word that makes it a description ("an animal that lives in trees",
 * "a hippopotamus or a rhinoceros", "a bird with a long beak").
 */
const NAME_FORM = /^(?:a|an|the)\s+([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*){0,2})$/i;
const DESCRIPTION_WORDS = /\b(?:or|and|that|which|who|with|than|of|in|on|at|from|like|not|to|for|by|kind|type|sort)\b/i;

/** The reason a name that is none of the candidates is no move: the game is played over a closed set. */
export function notACandidate(name: string, domain: Domain): string {
  return `"${name}" is not one of the ${domain.size} ${domain.plural}`;
}

/** The domain's question matcher, at its default threshold, built once per domain. */
const matchers = new WeakMap<Domain, AttributeMatcher>();

function recognised(question: string, domain: Domain): boolean {
  let matcher = matchers.get(domain);
  if (!matcher) matchers.set(domain, (matcher = new AttributeMatcher(domain.attributes)));
  return matcher.match(question) !== undefined;
}

/**
 * The name a question guesses when it is in the guess form ("Is it a piran?", "Could it be an
 * orcodile?") but names no candidate and is none of the domain's questions ("Is it a mammal?" is one):
 * such a question is an invalid move, not a question the answerer does not understand. Undefined for
 * any other question.
 */
export function unknownName(question: string, domain: Domain): string | undefined {
  const sentence = clean(question);
  for (const form of NAMING_FORMS) {
    const object = form
      .exec(sentence)?.[1]
      ?.replace(/[?.!]+$/, '')
      .trim();
    const name = object === undefined ? undefined : NAME_FORM.exec(object)?.[1];
    if (name === undefined || DESCRIPTION_WORDS.test(name) || domain.findCandidate(name)) continue;
    if (!recognised(sentence, domain)) return name;
  }
  return undefined;
}

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
 * missing, or which name is none of the candidates (see unknownName). The last question in a reply
 * wins, so chatter before it is ignored.
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
    return { kind: 'invalid', text: reply, reason: notACandidate(named, domain) };
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
  const unknown = unknownName(chosen, domain);
  if (unknown !== undefined) return { kind: 'invalid', text: reply, reason: notACandidate(unknown, domain) };
  return { kind: 'question', text: chosen.endsWith('?') ? chosen : chosen + '?' };
}
