import { Errors, type Hook } from '@oclif/core';
import { nearest } from '../../util/text.js';

/**
 * An unknown command: oclif joins the words of the command line into an id ("rn:experiments/x.yaml"),
 * so the first word is the command that was meant; suggest the nearest one.
 */
const hook: Hook.CommandNotFound = async function ({ id, config }) {
  const typed = id.split(':')[0]!;
  const guess = nearest(typed, config.commandIDs);
  const hint = guess ? `did you mean "${config.bin} ${guess}"? ` : '';
  throw new Errors.CLIError(`unknown command "${typed}"; ${hint}"${config.bin} --help" lists the commands`, { exit: 127 });
};

export default hook;
