import Audit from './commands/audit.js';
import Bounds from './commands/bounds.js';
import Compare from './commands/compare.js';
import Export from './commands/export.js';
import Play from './commands/play.js';
import Plugins from './commands/plugins.js';
import Report from './commands/report.js';
import Run from './commands/run.js';
import Runs from './commands/runs.js';
import Serve from './commands/serve.js';
import Show from './commands/show.js';
import Validate from './commands/validate.js';
import { COMMANDS as PLUGIN_COMMANDS } from '../../plugins/commands.js';
import { contributedCommands } from './contributed.js';

/** Every command of the twentyq CLI (oclif's explicit discovery strategy; see package.json): the framework's, then those the plugins contribute. */
export const COMMANDS = {
  run: Run,
  runs: Runs,
  show: Show,
  report: Report,
  validate: Validate,
  plugins: Plugins,
  bounds: Bounds,
  compare: Compare,
  audit: Audit,
  export: Export,
  play: Play,
  serve: Serve,
  ...contributedCommands(PLUGIN_COMMANDS),
};
