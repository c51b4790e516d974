#!/usr/bin/env node
import { execute, settings } from '@oclif/core';

// A reader that stops early (`twentyq export ... | head`) closes the pipe: the output is no longer
// wanted, which is not an error. Anything else written to a closed stream still is.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

// Commands load from the compiled dist/ (npm install builds it); never let oclif swap in the .ts sources.
settings.enableAutoTranspile = false;
await execute({ dir: import.meta.url });
