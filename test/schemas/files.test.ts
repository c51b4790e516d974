import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaFiles, schemaText } from '../../scripts/schemas.js';
import { packagePath } from '../../framework/util/paths.js';

describe('schemas/', () => {
  it('holds exactly what the declarations write (npm run schemas writes them again)', () => {
    const files = schemaFiles();
    expect(Object.keys(files).length).toBeGreaterThan(0);
    for (const [name, schema] of Object.entries(files)) {
      expect(readFileSync(join(packagePath('schemas'), name), 'utf8'), `schemas/${name} is out of date: run npm run schemas`).toBe(schemaText(schema));
    }
  });
});
