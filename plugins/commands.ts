import ModelTiny from './policies/trl/commands/model-tiny.js';
import SetupPython from './policies/trl/commands/setup-python.js';

/** The CLI commands the built-in plugins contribute, by oclif id (`setup:python` is `twentyq setup python`). */
export const COMMANDS = {
  'setup:python': SetupPython,
  'model:tiny': ModelTiny,
};
