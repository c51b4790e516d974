/**
 * Times GET /v1/models in a thread of its own (its own event loop), so that the client's work of the
 * burst, parsing megabytes of vectors, does not count against the server's latency.
 */
import { parentPort, workerData } from 'node:worker_threads';

const { url } = workerData as { url: string };
const latencies: number[] = [];
let stop = false;
parentPort!.on('message', () => (stop = true));
while (!stop) {
  const t = performance.now();
  await (await fetch(`${url}/models`)).json();
  latencies.push(performance.now() - t);
  await new Promise((r) => setTimeout(r, 20));
}
parentPort!.postMessage(latencies);
