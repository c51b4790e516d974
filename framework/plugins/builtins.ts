import { BUILTINS } from '../../plugins/index.js';
import { Registry } from './registry.js';

/** The registry of the built-in plugins; user plugins load through it by path. */
export const registry = new Registry(BUILTINS);
