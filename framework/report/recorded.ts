import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ReportSettings } from '../config/types.js';
import type { Domain } from '../game/domain.js';
import { DEFAULT_RULES, type Rules } from '../game/types.js';
import { readDomainFile } from '../run/domain-file.js';
import type { RunRecord, StageStatus } from '../run/rundir.js';
import type { StageFiles } from '../stages/define.js';
import { stageFiles } from '../stages/index.js';

/** A stage as its run recorded it: its files by what they hold. */
export interface RecordedStage {
  name: string;
  kind: string;
  status: StageStatus;
  seconds?: number;
  outputs: StageFiles;
}

/** What a run directory records for its readers: the domain played, the rules, the report settings, the stages. */
export interface RecordedRun {
  domain: Domain | undefined;
  rules: Rules;
  report: ReportSettings | undefined;
  stages: RecordedStage[];
  /** What a run of an older format did not record, in words for the page. */
  missing: string[];
}

/** config.yaml read as plain data, never through the experiment loader (which would load the plugins it names). */
function configData(dir: string): { game?: Partial<Rules>; report?: ReportSettings; stages?: Record<string, { name?: string }>[] } {
  const file = join(dir, 'config.yaml');
  if (!existsSync(file)) return {};
  try {
    const data: unknown = parse(readFileSync(file, 'utf8'));
    return typeof data === 'object' && data !== null ? data : {};
  } catch {
    return {};
  }
}

/**
 * What the run recorded, from run.json and domain.json (format 2). A run of format 1 recorded neither
 * its rules nor its domain in them: its rules and report settings are read from config.yaml as data,
 * and its report does without the domain (no candidates left in the viewer), saying so.
 */
export function recordedRun(dir: string, record: RunRecord | undefined): RecordedRun {
  const domain = readDomainFile(dir);
  const config = record?.game ? {} : configData(dir);
  const rules = record?.game ?? { ...DEFAULT_RULES, ...config.game };
  const report = record?.game ? record.report : config.report;
  const stages: RecordedStage[] = record
    ? record.stages.map((s) => ({ name: s.name, kind: s.kind, status: s.status, ...(s.seconds !== undefined ? { seconds: s.seconds } : {}), outputs: s.outputs ?? stageFiles(s) }))
    : (config.stages ?? []).flatMap((entry) => Object.entries(entry).map(([kind, settings]) => ({ name: settings?.name ?? kind, kind, status: 'pending' as const, outputs: stageFiles({ kind, name: settings?.name ?? kind }) })));
  const missing = domain ? [] : [`${dir} records no domain.json (a run of format 1, or one cut short before its first stage): the viewer shows no candidates left after each turn`];
  return { domain, rules, report, stages, missing };
}
