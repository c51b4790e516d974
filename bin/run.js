#!/usr/bin/env node
import { execute, settings } from '@oclif/core';

// Commands load from the compiled dist/ (npm install builds it); never let oclif swap in the .ts sources.
settings.enableAutoTranspile = false;
await execute({ dir: import.meta.url });
