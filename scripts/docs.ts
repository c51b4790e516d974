import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from '@oclif/core';
import ts from 'typescript';
import { COMMANDS } from '../framework/cli/index.js';
import { packagePath } from '../framework/util/paths.js';

/**
 * The generated parts of the docs: the CLI reference (from the oclif command classes) and the
 * experiment file reference (from schemas/experiment.schema.json). Each sits in its page between
 * `<!-- generated: NAME -->` and `<!-- end generated: NAME -->`; `npm run docs` writes them again, a
 * test fails when a page differs from what this writes.
 */

interface Flag {
  char?: string;
  description?: string;
  summary?: string;
  type: string;
  options?: readonly string[];
  default?: unknown;
  multiple?: boolean;
  hidden?: boolean;
  allowNo?: boolean;
  helpValue?: string | string[];
}

type SchemaNode = { type?: string | string[]; description?: string; default?: unknown; enum?: unknown[]; minimum?: number; maximum?: number; properties?: Record<string, SchemaNode>; required?: string[]; items?: SchemaNode; $ref?: string };

const cell = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();

function flagName(name: string, flag: Flag): string {
  const value = flag.type === 'boolean' ? '' : `=${typeof flag.helpValue === 'string' ? flag.helpValue : flag.options ? flag.options.join('\\|') : 'VALUE'}`;
  const short = flag.char ? `-${flag.char}, ` : '';
  return `\`${short}--${name}${value}\`${flag.allowNo ? ` / \`--no-${name}\`` : ''}`;
}

function commandSection(id: string, command: Command.Class): string {
  const name = id.replace(/:/g, ' ');
  const args = Object.entries(command.args ?? {}).map(([arg, a]) => (a.required ? arg.toUpperCase() : `[${arg.toUpperCase()}]`));
  const lines = [`### twentyq ${name}`, '', cell(command.summary ?? command.description ?? ''), '', '```', `twentyq ${[name, ...args].join(' ')}${Object.keys(command.flags ?? {}).length ? ' [FLAGS]' : ''}`, '```', ''];
  if (command.description && command.summary) lines.push(command.description.trim(), '');
  const argRows = Object.entries(command.args ?? {}).map(([arg, a]) => `| \`${arg.toUpperCase()}\` | ${cell(a.description ?? '')} |`);
  if (argRows.length) lines.push('| argument | description |', '|---|---|', ...argRows, '');
  const flagRows = Object.entries((command.flags ?? {}) as Record<string, Flag>)
    .filter(([, f]) => !f.hidden)
    .map(([flag, f]) => {
      const notes = [f.multiple ? 'repeatable' : '', f.default !== undefined && typeof f.default !== 'function' ? `default: \`${JSON.stringify(f.default)}\`` : ''].filter(Boolean);
      return `| ${flagName(flag, f)} | ${cell(f.summary ?? f.description ?? '')}${notes.length ? ` (${notes.join('; ')})` : ''} |`;
    });
  if (flagRows.length) lines.push('| flag | description |', '|---|---|', ...flagRows, '');
  return lines.join('\n');
}

/** Every command, flag and argument of the CLI, in the order `twentyq --help` lists the commands. */
export function cliReference(commands: Record<string, Command.Class> = COMMANDS): string {
  return Object.entries(commands)
    .map(([id, command]) => commandSection(id, command))
    .join('\n');
}

function typeOf(node: SchemaNode, definitions: Record<string, SchemaNode>): string {
  if (node.$ref) return node.$ref.replace('#/definitions/', '');
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  const type = Array.isArray(node.type) ? node.type.join(' \\| ') : (node.type ?? 'any');
  if (node.items) return `${type} of ${typeOf(node.items, definitions)}`;
  const range = node.minimum !== undefined || node.maximum !== undefined ? ` (${node.minimum ?? ''}..${node.maximum ?? ''})` : '';
  return type + range;
}

function fieldTable(node: SchemaNode, definitions: Record<string, SchemaNode>): string[] {
  const required = new Set(node.required ?? []);
  return [
    '| field | type | default | description |',
    '|---|---|---|---|',
    ...Object.entries(node.properties ?? {}).map(([field, f]) => {
      const described = f.description ?? (f.$ref ? definitions[f.$ref.replace('#/definitions/', '')]?.description : undefined) ?? '';
      const fallback = f.default === undefined ? (required.has(field) ? 'required' : '') : `\`${JSON.stringify(f.default)}\``;
      return `| \`${field}\` | ${typeOf(f, definitions)} | ${fallback} | ${cell(described)} |`;
    }),
  ];
}

type ExperimentSchema = SchemaNode & { definitions: Record<string, SchemaNode> };

/** The experiment file's fields, each stage kind's and the nested objects', from the experiment schema. */
export function experimentReference(schema = JSON.parse(readFileSync(packagePath('schemas/experiment.schema.json'), 'utf8')) as ExperimentSchema): string {
  const defs = schema.definitions;
  const lines = ['### The experiment file', '', ...fieldTable(schema, defs), ''];
  for (const [field, f] of Object.entries(schema.properties ?? {})) if (f.properties) lines.push(`### \`${field}\``, '', cell(f.description ?? ''), '', ...fieldTable(f, defs), '');
  lines.push('### A plugin', '', cell(defs.plugin?.description ?? ''), '', ...fieldTable(defs.plugin ?? {}, defs), '');
  for (const kind of Object.keys(defs.stage?.properties ?? {})) {
    const def = defs[kind] ?? {};
    lines.push(`### Stage \`${kind}\``, '', cell(def.description ?? ''), '', ...fieldTable(def, defs), '');
  }
  return lines.join('\n');
}

const SECTIONS: [ts.SymbolFlags, string][] = [
  [ts.SymbolFlags.Function, 'function'],
  [ts.SymbolFlags.Class, 'class'],
  [ts.SymbolFlags.Interface, 'interface'],
  [ts.SymbolFlags.TypeAlias, 'type'],
  [ts.SymbolFlags.Enum, 'enum'],
  [ts.SymbolFlags.Variable, 'value'],
];

/**
 * Every export of `twentyq/plugin` (framework/plugin.ts), read from the declarations by the TypeScript
 * compiler: its name, what it is, and the first sentence of its doc comment.
 */
export function pluginApiReference(): string {
  const file = packagePath('framework/plugin.ts');
  const config = ts.getParsedCommandLineOfConfigFile(packagePath('tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  const program = ts.createProgram([file], { ...(config?.options ?? {}), noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  const rows = checker
    .getExportsOfModule(moduleSymbol)
    .map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const kind = SECTIONS.find(([flag]) => target.flags & flag)?.[1] ?? 'export';
      const doc = cell(ts.displayPartsToString(target.getDocumentationComment(checker)));
      const first = /^(.*?\.)(\s|$)/.exec(doc)?.[1] ?? doc;
      const summary = first.length > 220 ? `${first.slice(0, 219).trimEnd()}…` : first;
      return { name: symbol.getName(), kind, summary };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return ['| export | what | summary |', '|---|---|---|', ...rows.map((r) => `| \`${r.name}\` | ${r.kind} | ${r.summary || '-'} |`)].join('\n');
}

/** The generated parts of each page, by file and part name. */
export function generatedParts(): Record<string, Record<string, string>> {
  return { 'docs/cli.md': { cli: cliReference() }, 'docs/experiments.md': { 'experiment-schema': experimentReference() }, 'docs/plugins.md': { 'plugin-api': pluginApiReference() } };
}

/** A page with its generated parts written in. */
export function withParts(page: string, file: string, parts: Record<string, string>): string {
  let out = page;
  for (const [name, text] of Object.entries(parts)) {
    const start = `<!-- generated: ${name} (npm run docs writes this part; do not edit it by hand) -->`;
    const end = `<!-- end generated: ${name} -->`;
    const [a, b] = [out.indexOf(start), out.indexOf(end)];
    if (a < 0 || b < a) throw new Error(`${file}: no "${start}" ... "${end}" markers; put them where the generated part belongs`);
    out = `${out.slice(0, a + start.length)}\n\n${text.trimEnd()}\n\n${out.slice(b)}`;
  }
  return out;
}

/** The pages whose generated parts differ from what the code and schema give now. */
export function staleParts(): string[] {
  return Object.entries(generatedParts()).flatMap(([file, parts]) => {
    const page = readFileSync(packagePath(file), 'utf8');
    return withParts(page, file, parts) === page ? [] : [file];
  });
}

/** Runs an experiment of the repository into a temporary folder (seconds for the quick ones); returns its run directory, or why it failed. */
function runExperiment(file: string): { dir: string; stdout: string; cleanup(): void } | { error: string } {
  const out = mkdtempSync(join(tmpdir(), 'twentyq-docs-'));
  const run = spawnSync(process.execPath, [packagePath('bin/run.js'), 'run', packagePath(file), '--out', out, '--progress', 'none'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const dir = /run completed: (\S+)/.exec(run.stdout)?.[1];
  if (run.status !== 0 || !dir) {
    rmSync(out, { recursive: true, force: true });
    return { error: `${file} failed (exit code ${String(run.status)}): ${run.stderr.trim().split('\n').slice(-3).join(' ')}` };
  }
  return { dir, stdout: run.stdout, cleanup: () => rmSync(out, { recursive: true, force: true }) };
}

const int = (x: number) => x.toLocaleString('en-US');
const share = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}%`;

/** The figures of experiments/data.yaml as docs/experiments.md shows them, from a run's metrics.json and audit. */
export function dataTable(dir: string): string {
  type Stage = Record<string, number | string>;
  const m = (JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { stages: Record<string, Stage> }).stages;
  const [games, audit, sft, dpo] = [m.games!, m['02-audit']!, m.sft!, m.dpo!] as Record<string, number>[];
  const animals = (JSON.parse(readFileSync(join(dir, '02-audit.json'), 'utf8')) as { animals: { wins: number }[] }).animals.map((a) => a.wins).sort((a, b) => a - b);
  const median = animals[Math.floor((animals.length - 1) / 2)]!;
  const covered = animals.every((w) => w > 0) ? 'every animal covered' : `${animals.filter((w) => w === 0).length} animals without a win`;
  return [
    '| | |',
    '|---|---|',
    `| games | ${int(games!.games!)} (${games!.games! / animals.length} per animal), ${int(games!.wins!)} wins (${share(games!.success!)}), ${games!.avg_questions!.toFixed(2)} questions on average |`,
    `| wins per animal | min ${animals[0]}, median ${median}, max ${animals.at(-1)}; ${covered} |`,
    `| contradicting answers | ${int(audit!.contradictions!)} of ${int(audit!.answers_checked!)} checked (${share(audit!.contradictions! / audit!.answers_checked!, 2)}: the noisy child's footprint) |`,
    `| weighted SFT (win_within 8, factor 5, min_per_animal 20) | ${int(sft!.selected_games!)} games selected, ${int(sft!.efficient_wins!)} efficient, ${int(sft!.rows!)} rows after weighting (${sft!.rebalanced_rows} added to top up thin animals), ${sft!.rows_per_animal_min} to ${sft!.rows_per_animal_median} rows per animal (min, median) |`,
    `| DPO (margin 2) | ${int(dpo!.pairs!)} pairs: ${int(dpo!.divergence_pairs!)} divergence, ${int(dpo!.information_pairs!)} information; ${dpo!.pairs_per_animal_median} per animal (median) |`,
  ].join('\n');
}

/** The parts of the docs that come from quick runs (seconds): by file and part name, each from a fresh run. */
export function runParts(): { parts: Record<string, Record<string, string>> } | { error: string } {
  const run = runExperiment('experiments/data.yaml');
  if ('error' in run) return run;
  try {
    return { parts: { 'docs/experiments.md': { 'data-table': dataTable(run.dir) } } };
  } finally {
    run.cleanup();
  }
}

/** The pages whose parts from quick runs differ from a fresh run's, with the part as the run gives it. */
export function staleRunParts(): string[] {
  const result = runParts();
  if ('error' in result) return [result.error];
  return Object.entries(result.parts).flatMap(([file, ps]) => {
    const page = readFileSync(packagePath(file), 'utf8');
    return withParts(page, file, ps) === page ? [] : [`${file}: its figures from a run differ from a fresh run's:\n${Object.values(ps).join('\n')}`];
  });
}

/** The pages that show the table `npm start` prints. */
const PIPELINE_TABLE_PAGES = ['README.md', 'docs/getting-started.md'];

/** The summary tables (rows from a header starting `stage  policy`) in a text, each as its lines. */
export function summaryTables(text: string): string[] {
  const tables: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^stage +policy +answerer /.test(lines[i]!)) continue;
    let j = i;
    while (j < lines.length && lines[j]!.trim() !== '' && !lines[j]!.startsWith('```')) j++;
    tables.push(
      lines
        .slice(i, j)
        .map((l) => l.trimEnd())
        .join('\n'),
    );
    i = j;
  }
  return tables;
}

/** Runs `npm start`'s experiment afresh and compares its table with the pages that show it (minutes). */
function checkPipelineTable(): string[] {
  const run = runExperiment('experiments/pipeline.yaml');
  if ('error' in run) return [run.error];
  try {
    const printed = summaryTables(run.stdout)[0];
    if (!printed) return ['the pipeline run printed no summary table'];
    return PIPELINE_TABLE_PAGES.filter((page) => !summaryTables(readFileSync(packagePath(page), 'utf8')).includes(printed)).map((page) => `${page}: its table differs from what npm start prints now:\n${printed}`);
  } finally {
    run.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--pipeline')) {
    const problems = checkPipelineTable();
    for (const p of problems) console.error(`docs: ${p}`);
    if (problems.length) process.exit(1);
    console.log(`docs: ${PIPELINE_TABLE_PAGES.join(' and ')} show the table npm start prints`);
  } else if (process.argv.includes('--check')) {
    const fromRuns = staleRunParts();
    for (const p of fromRuns) console.error(`docs: ${p}`);
    if (fromRuns.length) process.exit(1);
    const stale = staleParts();
    if (stale.length) {
      console.error(`docs: the generated parts of ${stale.join(', ')} differ from the commands and the experiment schema: run \`npm run docs\` and commit the pages`);
      process.exit(1);
    }
    console.log('docs: the generated parts (CLI and experiment references, the figures of experiments/data.yaml) are up to date');
  } else {
    const fromRuns = runParts();
    if ('error' in fromRuns) {
      console.error(`docs: ${fromRuns.error}`);
      process.exit(1);
    }
    for (const [file, parts] of [...Object.entries(generatedParts()), ...Object.entries(fromRuns.parts)]) writeFileSync(packagePath(file), withParts(readFileSync(packagePath(file), 'utf8'), file, parts));
  }
}
