import {
  cachedTree,
  choice,
  defaulted,
  definePlugin,
  type Domain,
  type GameView,
  guessQuestion,
  type Move,
  type Rules,
  type Semantics,
  type Static,
  type TreeBound,
  type TreeNode,
  Type,
  type UnknownAnswers,
} from '../../framework/plugin.js';
import { InfogainPolicy } from './infogain.js';

const OPTIONS = Type.Object(
  {
    unknown: defaulted(
      choice(['auto', 'say', 'coin'], {
        default: 'auto',
        description: 'The tree for an answerer that says "unknown" on unknown facts (say) or tosses a coin there (coin); auto: as the answerer declares (say for kb by default).',
      }),
    ),
    time_limit: defaulted(
      Type.Number({
        exclusiveMinimum: 0,
        default: 5,
        description: 'Seconds the search may take to prove the tree optimal; past them the best tree found is played (kept in the cache under this limit, so that every worker and later runs play the same one).',
      }),
    ),
  },
  { additionalProperties: false },
);

export type OptimalOptions = Static<typeof OPTIONS>;

/** Where a game stands in the tree: the node reached after the turns read so far, or off the tree. */
interface Place {
  node: TreeNode | undefined;
  seen: number;
}

/**
 * Plays the optimal decision tree over the domain's questions (see framework/game/tree.ts) for the
 * game's rules and the answerer's semantics: every candidate equally likely, the tree searched once
 * and kept on disk. A search cut short by `time_limit` plays the best tree found, never worse than the
 * information-gain expert's (the search starts from it), and says so in the run's notes. When the game
 * leaves the tree (an answer the tree has no branch for: a noisy or a model answerer), the
 * information-gain expert finishes it.
 */
export class OptimalPolicy {
  private readonly trees = new Map<string, Promise<TreeBound>>();
  private readonly fallback: InfogainPolicy;

  constructor(
    private readonly domain: Domain,
    private readonly options: OptimalOptions,
    private readonly rules: Rules,
  ) {
    this.fallback = new InfogainPolicy(domain, { epsilon: 0, temperature: 0, unknown: 'auto' });
  }

  async prepare(setting: { unknowns: UnknownAnswers | undefined }, signal: AbortSignal): Promise<string[]> {
    const semantics = this.semantics(setting.unknowns);
    const bound = await this.tree(this.rules, semantics, signal);
    if (bound.proved) return [];
    return [
      `optimal: its tree (wrong_guess: ${bound.rule}, unknown: ${semantics}) is not proved optimal within ${this.options.time_limit} s: ${bound.mean.toFixed(3)} questions on average, at most ${(bound.mean - bound.lower).toFixed(3)} above the optimum (proved lower bound ${bound.lower.toFixed(3)}; the information-gain expert's tree: ${bound.greedy.toFixed(3)}). A longer time_limit searches further.`,
    ];
  }

  async act(games: readonly GameView[], signal?: AbortSignal): Promise<Move[]> {
    const moves: Move[] = [];
    for (const game of games) moves.push(await this.move(game, signal));
    return moves;
  }

  private semantics(unknowns: UnknownAnswers | undefined): Semantics {
    if (this.options.unknown !== 'auto') return this.options.unknown;
    return unknowns === 'say' ? 'say' : 'coin';
  }

  private tree(rules: Rules, semantics: Semantics, signal?: AbortSignal): Promise<TreeBound> {
    const key = `${rules.wrong_guess}/${rules.max_questions}/${semantics}`;
    let tree = this.trees.get(key);
    if (!tree) {
      const options = { rule: rules.wrong_guess, semantics, maxQuestions: rules.max_questions, timeLimitMs: this.options.time_limit * 1000 };
      tree = cachedTree(this.domain, { ...options, ...(signal ? { signal } : {}) });
      this.trees.set(key, tree);
      // a search stopped by Ctrl-C is searched again if asked again
      tree.catch(() => this.trees.delete(key));
    }
    return tree;
  }

  private async move(game: GameView, signal?: AbortSignal): Promise<Move> {
    let place = game.memo.get(this) as Place | undefined;
    if (!place) {
      const { tree } = await this.tree(game.rules, this.semantics(game.unknowns), signal);
      game.memo.set(this, (place = { node: tree, seen: 0 }));
    }
    for (; place.seen < game.turns.length && place.node; place.seen++) {
      const { move, answer } = game.turns[place.seen]!;
      const node: TreeNode = place.node;
      if ('guess' in node) place.node = move.kind === 'guess' && move.candidate === node.guess && answer === 'no' ? node.no : undefined;
      else place.node = move.kind === 'question' && move.attribute === node.ask && answer ? node[answer] : undefined;
    }
    const node = place.node;
    if (!node) return this.fallback.act([game])[0]!;
    if ('guess' in node) {
      const candidate = this.domain.candidate(node.guess);
      return { kind: 'guess', text: guessQuestion(candidate), candidate: candidate.id };
    }
    const attribute = this.domain.attributes[this.domain.attributeIndexOf(node.ask)!]!;
    return { kind: 'question', text: attribute.question, attribute: attribute.id };
  }
}

export default definePlugin({
  kind: 'policy',
  name: 'optimal',
  description:
    "Plays the optimal decision tree over the domain's questions for the rules and the answerer (twentyq bounds): the expert to beat. Searched once per domain, rules and semantics and cached on disk; past time_limit it plays the best tree found (never worse than infogain's) and says so in the run's notes; a game that leaves the tree (a noisy answer) is finished by infogain.",
  options: OPTIONS,
  create: (options, { domain, rules }) => new OptimalPolicy(domain, options, rules),
});
