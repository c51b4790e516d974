import { type Domain, guessQuestion, type Move, type Rules, type Turn } from '../../../framework/plugin.js';
import type { SparseInput } from './network.js';

/**
 * The policy's view of a game. Inputs: for every attribute asked, its answer (yes / no / unknown, one
 * input each); every candidate guessed wrongly; the share of the budget used; whether one question is
 * left. Actions: ask an attribute, or guess a candidate. Moves the domain does not know (free-form
 * questions, invalid moves) only use up the budget.
 */
export class StateEncoder {
  readonly attributes: number;
  readonly candidates: number;
  readonly inputs: number;
  readonly actions: number;

  constructor(readonly domain: Domain) {
    this.attributes = domain.attributes.length;
    this.candidates = domain.candidates.length;
    this.inputs = 3 * this.attributes + this.candidates + 2;
    this.actions = this.attributes + this.candidates;
  }

  encode(turns: readonly Turn[], rules: Rules): { x: SparseInput; legal: Uint8Array } {
    const index: number[] = [];
    const value: number[] = [];
    const legal = new Uint8Array(this.actions).fill(1);
    for (const { move, answer } of turns) {
      const a = this.action(move);
      if (a === undefined || !legal[a]) continue;
      if (a < this.attributes) {
        legal[a] = 0;
        index.push(3 * a + (answer === 'yes' ? 0 : answer === 'no' ? 1 : 2));
        value.push(1);
      } else if (answer === 'no') {
        legal[a] = 0;
        index.push(3 * this.attributes + (a - this.attributes));
        value.push(1);
      }
    }
    const base = 3 * this.attributes + this.candidates;
    index.push(base);
    value.push(turns.length / rules.max_questions);
    if (rules.max_questions - turns.length <= 1) {
      index.push(base + 1);
      value.push(1);
    }
    return { x: { index: Int32Array.from(index), value: Float64Array.from(value) }, legal };
  }

  /** The action a move stands for, when the domain knows it. */
  action(move: Move): number | undefined {
    if (move.kind === 'question' && move.attribute !== undefined) return this.domain.attributeIndexOf(move.attribute);
    if (move.kind === 'guess') {
      const c = this.domain.candidateIndexOf(move.candidate);
      return c === undefined ? undefined : this.attributes + c;
    }
    return undefined;
  }

  move(action: number): Move {
    if (action < this.attributes) {
      const attribute = this.domain.attributes[action]!;
      return { kind: 'question', text: attribute.question, attribute: attribute.id };
    }
    const candidate = this.domain.candidates[action - this.attributes]!;
    return { kind: 'guess', text: guessQuestion(candidate), candidate: candidate.id };
  }
}
