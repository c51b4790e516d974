import { BUILTINS, DEFAULTS, FORMATS } from '../../plugins/index.js';
import type { RowFormat } from '../data/format.js';
import { Registry } from './registry.js';

/** The plugins used where an experiment or a command names none (the plugins' own table: the framework names none). */
export const DEFAULT_PLUGINS = DEFAULTS;

/** The registry of the built-in plugins; user plugins load through it by path. */
export const registry = new Registry(BUILTINS);

/** The row format of `twentyq export` and the dataset stage: the first one the plugins contribute. */
export const ROW_FORMAT: string | undefined = Object.keys(FORMATS)[0];

export async function rowFormat(): Promise<RowFormat> {
  const load = ROW_FORMAT === undefined ? undefined : FORMATS[ROW_FORMAT];
  if (!load) throw new Error('no plugin contributes a row format for training sets (plugins/index.ts: FORMATS)');
  return (await load()).default;
}
