/**
 * The run directory's format. run.json records the version its run was written in; a run written
 * before the version was recorded is version 1 (its files are those of version 1). A twentyq reads the
 * versions from OLDEST_RUN_FORMAT to RUN_FORMAT and refuses others, naming the version.
 *
 * 2: the run records what its readers need without the experiment's plugins: run.json the rules, the
 * report settings and each stage's files by role; domain.json the domain played; metrics.json each
 * answerer's label and what its "unknown" means. A run of format 1 is read with what it has (its
 * report shows no candidates left in the viewer), and a resume records it in format 2.
 */
export const RUN_FORMAT: number = 2;
export const OLDEST_RUN_FORMAT: number = 1;

/** The format a run record says it was written in. */
export function runFormat(record: { format_version?: unknown }): number | undefined {
  const v = record.format_version ?? 1;
  return Number.isSafeInteger(v) && (v as number) >= 1 ? (v as number) : undefined;
}

/** Why this twentyq cannot read a run of this record's format, or undefined when it can. */
export function formatProblem(dir: string, record: { format_version?: unknown }): string | undefined {
  const version = runFormat(record);
  const reads = OLDEST_RUN_FORMAT === RUN_FORMAT ? `format ${RUN_FORMAT}` : `formats ${OLDEST_RUN_FORMAT} to ${RUN_FORMAT}`;
  if (version === undefined) return `${dir}: run.json gives format_version ${JSON.stringify(record.format_version)}, which is no format (a whole number from 1); this twentyq reads run directories of ${reads}`;
  if (version > RUN_FORMAT) return `${dir} was written by a newer twentyq, in run directory format ${version}; this twentyq reads ${reads}: use a twentyq that reads format ${version}`;
  if (version < OLDEST_RUN_FORMAT) return `${dir} is in run directory format ${version}, which this twentyq no longer reads (it reads ${reads}): use an older twentyq for it`;
  return undefined;
}
