/**
 * Benchmark: `twentyq serve` under a burst of embeddings requests (bench/serve-burst.ts): resident
 * memory before, at the peak and after, and GET /v1/models latency during the burst. Targets (issue
 * "Nothing lost"): under 300 MB at the peak, /v1/models within 100 ms.
 *
 *   npm run bench:serve
 */
import { DEFAULT_BURST, measureBurst } from './serve-burst.js';

const f = await measureBurst(DEFAULT_BURST);
const { concurrent, inputs, chars, rounds } = DEFAULT_BURST;
console.log(`burst: 1 hostile request (800,000 one-letter inputs, 4.0 MB) beside ${rounds} rounds of ${concurrent} legal requests at once (${inputs} inputs x ${chars} characters each), ${f.burstSeconds.toFixed(1)} s`);
console.log(`hostile request: ${f.hostileStatus} ${f.hostileCode} in ${f.hostileMs.toFixed(0)} ms`);
console.log(`legal requests: ${f.legalAnswered} answered, ${f.legalVectors} vectors`);
console.log(`resident memory: ${f.rssBeforeMb.toFixed(0)} MB before, ${f.rssPeakMb.toFixed(0)} MB peak, ${f.rssAfterMb.toFixed(0)} MB after (target: peak < 300 MB)`);
console.log(`GET /v1/models during the burst: ${f.modelsAnswered} answered, p50 ${f.modelsP50Ms.toFixed(1)} ms, max ${f.modelsMaxMs.toFixed(1)} ms (target: < 100 ms)`);
