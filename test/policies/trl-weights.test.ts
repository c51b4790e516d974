import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { weightsStamp } from '../../plugins/policies/trl/index.js';

describe("the stamp by which the response cache knows a trl model's weights", () => {
  it('names each weights file with its size and time; other weights at the same path stamp otherwise, the same ones alike', () => {
    const folder = mkdtempSync(join(tmpdir(), 'twentyq-weights-'));
    writeFileSync(join(folder, 'config.json'), '{}');
    writeFileSync(join(folder, 'model.safetensors'), 'first weights');
    utimesSync(join(folder, 'model.safetensors'), 1_000, 1_000);
    const first = weightsStamp(folder);
    expect(first).toBe('model.safetensors:13:1000000');
    expect(weightsStamp(folder)).toBe(first);
    // trained again at the same path: the same size, a later time
    writeFileSync(join(folder, 'model.safetensors'), 'other weights');
    utimesSync(join(folder, 'model.safetensors'), 2_000, 2_000);
    expect(weightsStamp(folder)).not.toBe(first);
    // an adapter's file counts, the config does not
    writeFileSync(join(folder, 'adapter_model.safetensors'), 'lora');
    utimesSync(join(folder, 'adapter_model.safetensors'), 3_000, 3_000);
    expect(weightsStamp(folder)).toBe('adapter_model.safetensors:4:3000000,model.safetensors:13:2000000');
    expect(weightsStamp(join(folder, 'absent'))).toBe('');
  });
});
