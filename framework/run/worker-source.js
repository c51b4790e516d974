// Worker entry used when twentyq runs from its TypeScript sources (tests, tsx): Node 20's worker
// threads cannot load .ts files, so register tsx's loader in this thread first. The compiled
// package points its pool at dist/framework/run/worker.js instead.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');
export default worker.default;
