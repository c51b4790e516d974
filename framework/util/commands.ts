import which from 'which';

/**
 * Where a command runs from: a name looked up on the PATH, or a path (absolute, or with a slash)
 * that must be an executable file. Undefined when there is no such executable.
 */
export function findCommand(command: string): string | undefined {
  return which.sync(command, { nothrow: true }) ?? undefined;
}
