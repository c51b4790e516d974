/**
 * The files a run directory holds besides its stages' (config.yaml, run.json, metrics.json, the
 * domain played, summary.txt, the lock, the report): no stage may write one of these names. A stage's own files
 * are its definition's (framework/stages).
 */
export const RUN_FILES: readonly string[] = ['config.yaml', 'run.json', 'metrics.json', 'domain.json', 'summary.txt', 'run.lock', 'report.html', 'usage.jsonl'];

/** Every model call of the run, a line each, written as it is answered (llm/usage.ts). */
export const USAGE_FILE = 'usage.jsonl';

/** The domain the run played, as data (run/domain-file.ts): what the report reads instead of the domain plugin. */
export const DOMAIN_FILE = 'domain.json';
