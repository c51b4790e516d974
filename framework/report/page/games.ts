/**
 * The games the report's viewer offers, as the page carries them (inline JSON): written by the report
 * (framework/report/data.ts) and read by the page's script (viewer.ts), both typed by this file.
 */

export interface ViewerTurn {
  kind: string;
  text: string;
  answer?: string;
  /** Candidates consistent with the answers after this turn, and the bits the turn gained. */
  left?: number;
  bits?: number;
  raw?: string;
  reason?: string;
  tokens?: number;
  answer_raw?: string;
  /** The move's exact regret: expected questions lost against the best move (games against kb). */
  regret?: number;
}

export interface ViewerGame {
  game: number;
  target: string;
  outcome: string;
  questions: number;
  invalid: number;
  reward?: number;
  /** The game's summed regret, when its moves have one. */
  regret?: number;
  error?: string;
  turns: ViewerTurn[];
}

/** The games offered, by stage, then by play (policy, and @answerer when several). */
export type ViewerData = Record<string, Record<string, ViewerGame[]>>;
