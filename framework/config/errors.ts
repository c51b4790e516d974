/** A place in an experiment file; `origin` replaces file:line:col for values that came from --set. */
export interface Place {
  file: string;
  line: number;
  col: number;
  origin?: string;
}

export interface Problem extends Place {
  /** Where in the experiment, as a dotted path (stages[0].evaluate.games). */
  path: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  const where = p.origin ?? `${p.file}:${p.line}:${p.col}`;
  return `${where}: ${p.path ? p.path + ': ' : ''}${p.message}`;
}

/** Everything wrong with an experiment file, each problem at its place. */
export class ConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

/** ['stages', 0, 'evaluate'] -> stages[0].evaluate */
export function dottedPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
