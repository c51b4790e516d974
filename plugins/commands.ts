import type { CommandTable } from '../framework/plugin.js';
import modelTiny from './policies/trl/commands/model-tiny.js';
import setupPython from './policies/trl/commands/setup-python.js';
import trlPlan from './policies/trl/commands/trl-plan.js';

/** The CLI commands the built-in plugins contribute, by oclif id (`setup:python` is `twentyq setup python`). */
export const COMMANDS: CommandTable = {
  'setup:python': setupPython,
  'model:tiny': modelTiny,
  'trl:plan': trlPlan,
};
