import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { experimentSchema } from '../framework/config/experiment-schema.js';
import { TRL_ROWS } from '../plugins/policies/trl/rows.js';
import { TRAJECTORY } from '../framework/game/trajectory.js';
import { STAGES } from '../framework/stages/index.js';
import { packagePath } from '../framework/util/paths.js';
import { TRL_JOBS } from '../plugins/policies/trl/job.js';

/**
 * The JSON Schemas under schemas/, each from the one declaration of its shape: editors and other
 * languages read these files; twentyq itself checks against the declarations. A test fails when a
 * file here differs from what this writes (`npm run schemas` writes them again).
 */
export function schemaFiles(): Record<string, object> {
  return {
    'experiment.schema.json': experimentSchema(STAGES),
    'trajectory.schema.json': TRAJECTORY,
    'trl-sft.schema.json': TRL_ROWS.sft,
    'trl-dpo.schema.json': TRL_ROWS.dpo,
    'trl-grpo.schema.json': TRL_ROWS.grpo,
    ...Object.fromEntries(Object.entries(TRL_JOBS).map(([command, schema]) => [`trl-job-${command}.schema.json`, schema])),
  };
}

/** A schema as its file holds it. */
export function schemaText(schema: object): string {
  return JSON.stringify(schema, null, 2) + '\n';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [name, schema] of Object.entries(schemaFiles())) {
    writeFileSync(join(packagePath('schemas'), name), schemaText(schema));
    console.log(`schemas/${name}`);
  }
}
