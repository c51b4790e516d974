import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../framework/cli/index.js';
import { staleParts, summaryTables } from '../scripts/docs.js';

const PAGES = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const GLOBAL_FLAGS = new Set(['help', 'version']);
// mistakes the docs show on purpose, with the CLI's answer to them
const DELIBERATE = new Set(['twentyq rn']);

/** The code of a page: its fenced blocks' lines and its inline code spans, each with its line number. */
function codeOf(page: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  let fenced = false;
  readFileSync(page, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text.startsWith('```')) fenced = !fenced;
      else if (fenced) out.push({ line: i + 1, code: text });
      else for (const span of text.matchAll(/`([^`]+)`/g)) out.push({ line: i + 1, code: span[1]! });
    });
  return out;
}

function flagsOf(id: string): Set<string> {
  const flags = Object.entries(COMMANDS[id as keyof typeof COMMANDS].flags ?? {}) as [string, { char?: string; allowNo?: boolean }][];
  return new Set([...GLOBAL_FLAGS, ...flags.flatMap(([name, f]) => [name, ...(f.allowNo ? [`no-${name}`] : [])])]);
}

/** Each `twentyq <command> --flag` a page's code names that the CLI does not have. */
function unknownMentions(page: string): string[] {
  const ids = new Set(Object.keys(COMMANDS).map((id) => id.replace(/:/g, ' ')));
  return codeOf(page).flatMap(({ line, code }) =>
    [...code.matchAll(/\btwentyq ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?([^|;&#]*)/g)].flatMap((m) => {
      const [one, two, rest] = [m[1]!, m[2], m[3] ?? ''];
      const id = two && ids.has(`${one} ${two}`) ? `${one} ${two}` : one;
      if (DELIBERATE.has(`twentyq ${id}`)) return [];
      if (!ids.has(id)) return [`${page}:${line}: twentyq ${one}: no such command`];
      const known = flagsOf(id.replace(/ /g, ':'));
      return [...`${two && id === one ? two : ''}${rest}`.matchAll(/(?:^|\s)--([a-z][a-z-]*)/g)].filter((f) => !known.has(f[1]!)).map((f) => `${page}:${line}: twentyq ${id} --${f[1]!}: no such flag`);
    }),
  );
}

describe('the docs', () => {
  it('name only commands and flags the CLI has', () => {
    expect(PAGES.flatMap(unknownMentions)).toEqual([]);
  });

  it('the check finds a command or flag that does not exist', () => {
    expect(unknownMentions('test/fixtures/docs/stale.md')).toEqual(['test/fixtures/docs/stale.md:3: twentyq frobnicate: no such command', 'test/fixtures/docs/stale.md:4: twentyq run --turbo: no such flag']);
  });

  it('every page under docs/ is linked from the README', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(PAGES.filter((p) => p !== 'README.md' && !readme.includes(`](${p})`))).toEqual([]);
  });

  it('links between pages point at pages that exist', () => {
    const missing = PAGES.flatMap((page) =>
      [...readFileSync(page, 'utf8').matchAll(/\]\(([a-z][\w./-]*\.md)(?:#[\w-]*)?\)/g)]
        .map((m) => (page === 'README.md' ? m[1]! : m[1]!.startsWith('../') ? m[1]!.slice(3) : `docs/${m[1]!}`))
        .filter((target) => !PAGES.includes(target) && !target.includes('/README.md')),
    );
    expect(missing).toEqual([]);
  });

  it('have their generated parts (CLI and experiment references) as the commands and the schema give them (npm run docs writes them)', () => {
    expect(staleParts()).toEqual([]);
  });

  it("show npm start's table in the README and in getting started alike (docs:check compares it with a fresh run)", () => {
    const [readme] = summaryTables(readFileSync('README.md', 'utf8'));
    expect(readme).toMatch(/^stage +policy +answerer/);
    expect(summaryTables(readFileSync('docs/getting-started.md', 'utf8'))).toContain(readme);
  });
});
