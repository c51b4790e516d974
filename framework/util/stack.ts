import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** twentyq's framework folder (framework/ or dist/framework/): its frames are the caller's, never the plugin's. */
const FRAMEWORK = resolve(fileURLToPath(new URL('..', import.meta.url)));

// "    at fn (/path/file.js:12:5)", "    at /path/file.js:12:5", "    at async fn (file:///path/file.js:12:5)"
const FRAME = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/;

function pathOf(location: string): string | undefined {
  if (location.startsWith('file://')) return fileURLToPath(location);
  return isAbsolute(location) ? location : undefined;
}

function outsideTwentyq(file: string): boolean {
  return !file.startsWith(FRAMEWORK + sep) && !file.split(sep).includes('node_modules');
}

/**
 * Where an error was thrown in a plugin's own code: the first frame of its stack in a file outside
 * Node's internals, installed packages and twentyq's framework, as `file:line:col` (relative to the
 * current folder when it lies below it). A plugin that calls a library which throws gets its own line,
 * the one that called. Undefined when the stack has no such frame (a value thrown, not an Error).
 */
export function throwSite(error: unknown): string | undefined {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined;
  if (!stack) return undefined;
  for (const line of stack.split('\n')) {
    const m = FRAME.exec(line);
    const file = m && pathOf(m[1]!);
    if (!file || !outsideTwentyq(file)) continue;
    const shown = relative(process.cwd(), file);
    return `${shown.startsWith('..') || isAbsolute(shown) ? file : shown}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

/** What was thrown, as one line: "TypeError: x is not a function" (a plain Error's message alone), with its place in a plugin when the stack shows one. */
export function describeThrown(error: unknown): string {
  const what = error instanceof Error ? (error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message) : String(error);
  const site = throwSite(error);
  return site ? `${what} (at ${site})` : what;
}
