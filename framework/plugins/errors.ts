/**
 * An error the user can fix (a missing environment, a bad file, a failed external command): the CLI
 * prints its message as it is, with no stack trace, and exits with 1. A plugin's own such errors extend it.
 */
export class UserError extends Error {}
