import type { ViewerData, ViewerGame, ViewerTurn } from './games.js';

/**
 * The report page's script: tables sort by a click on a column, and the game viewer shows a chosen
 * game turn by turn. It builds elements and sets their text (never markup from the run's data).
 */

/** Makes an element with a class, and its children: text or elements. */
function el(tag: string, cls: string | undefined, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  e.append(...children);
  return e;
}

/** A cell's sort key: its data-sort number, else its text. */
function sortKey(row: HTMLTableRowElement, column: number): number | string {
  const cell = row.children[column];
  const figure = cell?.querySelector<HTMLElement>('[data-sort]');
  return figure ? Number(figure.dataset.sort) : (cell?.textContent ?? '');
}

function sortable(th: HTMLTableCellElement): void {
  th.addEventListener('click', () => {
    const body = th.closest('table')?.tBodies[0];
    if (!body) return;
    const column = [...th.parentElement!.children].indexOf(th);
    const dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
    th.dataset.dir = dir;
    const rows = [...body.rows].sort((a, b) => {
      const [x, y] = [sortKey(a, column), sortKey(b, column)];
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return dir === 'asc' ? c : -c;
    });
    body.append(...rows);
  });
}

/**
 * The viewer's columns, a turn's figure each: a new per-turn figure (a question's regret, say) is one
 * more entry here and one more field of ViewerTurn.
 */
const COLUMNS: { head: string; cls?: string; title?: string; shown?(g: ViewerGame): boolean; cell(t: ViewerTurn, i: number): (Node | string)[] }[] = [
  { head: '#', cell: (_t, i) => [String(i + 1)] },
  { head: 'move', cell: (t) => [t.kind] },
  {
    head: 'text',
    cls: 'q',
    cell: (t) => [t.text, ...(t.reason ? [' ', el('span', 'bad', `(${t.reason})`)] : []), ...(t.raw !== undefined && t.raw !== t.text ? [el('pre', undefined, t.raw)] : [])],
  },
  { head: 'answer', cls: 'a', cell: (t) => [t.answer ?? '-', ...(t.answer_raw !== undefined ? [el('pre', undefined, t.answer_raw)] : [])] },
  { head: 'candidates left', cls: 'left', cell: (t) => [t.left === undefined ? '-' : String(t.left)] },
  { head: 'bits', cls: 'bits', cell: (t) => [t.bits === undefined ? '-' : t.bits.toFixed(2)] },
  {
    head: 'regret',
    cls: 'regret',
    title: 'expected questions this move lost against the best move from the candidates left (0: an optimal move)',
    shown: (g) => g.turns.some((t) => t.regret !== undefined),
    cell: (t) => (t.regret === undefined ? ['-'] : t.regret > 1e-9 ? [el('span', 'costly', t.regret.toFixed(3))] : ['0']),
  },
  { head: 'tokens', cell: (t) => [t.tokens === undefined ? '' : String(t.tokens)] },
];

function gameView(g: ViewerGame): HTMLElement[] {
  const head = el(
    'p',
    'v-head',
    `game ${g.game}, target `,
    el('b', undefined, g.target),
    `: ${g.outcome} in ${g.questions} questions, ${g.invalid} invalid${g.reward !== undefined ? `, reward ${g.reward.toFixed(3)}` : ''}${g.regret !== undefined ? `, regret ${g.regret.toFixed(3)}` : ''}${g.error ? `, error: ${g.error}` : ''}`,
  );
  const columns = COLUMNS.filter((c) => !c.shown || c.shown(g));
  const rows = g.turns.map((t, i) => {
    const tr = el('tr', 'turn', ...columns.map((c) => el('td', c.cls, ...c.cell(t, i))));
    tr.dataset.kind = t.kind;
    return tr;
  });
  const heads = columns.map((c) => {
    const th = el('th', undefined, c.head);
    if (c.title) th.title = c.title;
    return th;
  });
  const table = el('table', undefined, el('thead', undefined, el('tr', undefined, ...heads)), el('tbody', undefined, ...rows));
  return [head, table];
}

function fill(select: HTMLSelectElement, values: readonly string[], labels: readonly string[] = values): void {
  select.replaceChildren(
    ...values.map((v, i) => {
      const option = document.createElement('option');
      option.value = v;
      option.textContent = labels[i] ?? v;
      return option;
    }),
  );
}

function viewer(root: HTMLElement): void {
  const data = JSON.parse(document.getElementById(`${root.dataset.run}-games`)?.textContent ?? '{}') as ViewerData;
  const pick = (cls: string) => root.querySelector<HTMLSelectElement>(cls)!;
  const [stage, policy, target, game] = ['.v-stage', '.v-policy', '.v-target', '.v-game'].map(pick) as [HTMLSelectElement, HTMLSelectElement, HTMLSelectElement, HTMLSelectElement];
  const out = root.querySelector<HTMLElement>('.v-out')!;
  const games = () => data[stage.value]?.[policy.value] ?? [];
  const show = () => {
    const g = games().find((x) => String(x.game) === game.value);
    out.replaceChildren(...(g ? gameView(g) : []));
  };
  const onTarget = () => {
    const gs = games().filter((g) => g.target === target.value);
    fill(
      game,
      gs.map((g) => String(g.game)),
      gs.map((g) => `game ${g.game} (${g.outcome}, ${g.questions} q)`),
    );
    show();
  };
  const onPolicy = () => {
    fill(target, [...new Set(games().map((g) => g.target))].sort());
    onTarget();
  };
  const onStage = () => {
    fill(policy, Object.keys(data[stage.value] ?? {}));
    onPolicy();
  };
  stage.addEventListener('change', onStage);
  policy.addEventListener('change', onPolicy);
  target.addEventListener('change', onTarget);
  game.addEventListener('change', show);
  fill(stage, Object.keys(data));
  onStage();
}

for (const th of document.querySelectorAll<HTMLTableCellElement>('table.sortable th')) sortable(th);
for (const root of document.querySelectorAll<HTMLElement>('.viewer')) viewer(root);
