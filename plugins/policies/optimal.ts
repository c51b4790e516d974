import { cachedTree, choice, defaulted, definePlugin, type Domain, type GameView, guessQuestion, type Move, type Semantics, type Static, type TreeNode, Type, type WrongGuessRule } from '../../framework/plugin.js';
import { InfogainPolicy } from './infogain.js';

const OPTIONS = Type.Object(
  {
    unknown: defaulted(
      choice(['auto', 'say', 'coin'], {
        default: 'auto',
        description: 'The tree for an answerer that says "unknown" on unknown facts (say) or tosses a coin there (coin); auto: as the answerer declares (say for kb by default).',
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
 * game's rules and the answerer's semantics: every candidate equally likely, the tree computed once
 * and kept on disk. When the game leaves the tree (an answer the tree has no branch for: a noisy or a
 * model answerer), the information-gain expert finishes it.
 */
export class OptimalPolicy {
  private readonly trees = new Map<string, TreeNode>();
  private readonly fallback: InfogainPolicy;

  constructor(
    private readonly domain: Domain,
    private readonly options: OptimalOptions,
  ) {
    this.fallback = new InfogainPolicy(domain, { epsilon: 0, temperature: 0, unknown: 'auto' });
  }

  act(games: readonly GameView[]): Move[] {
    return games.map((game) => this.move(game));
  }

  private semantics(game: GameView): Semantics {
    if (this.options.unknown !== 'auto') return this.options.unknown;
    return game.unknowns === 'say' ? 'say' : 'coin';
  }

  private tree(rule: WrongGuessRule, semantics: Semantics): TreeNode {
    const key = `${rule}/${semantics}`;
    let tree = this.trees.get(key);
    if (!tree) {
      tree = cachedTree(this.domain, { rule, semantics }).tree;
      this.trees.set(key, tree);
    }
    return tree;
  }

  private move(game: GameView): Move {
    let place = game.memo.get(this) as Place | undefined;
    if (!place) game.memo.set(this, (place = { node: this.tree(game.rules.wrong_guess, this.semantics(game)), seen: 0 }));
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
    'Plays the optimal decision tree over the domain\'s questions for the rules and the answerer (twentyq bounds): the expert to beat. Computed once per domain, rules and semantics and cached on disk; a game that leaves the tree (a noisy answer) is finished by infogain.',
  options: OPTIONS,
  create: (options, { domain }) => new OptimalPolicy(domain, options),
});
