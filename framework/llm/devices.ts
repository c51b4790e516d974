/**
 * What "the same device" means when the run decides which launched servers to stop before a training
 * stage: a device is a name such as `cuda:0`; a comma-separated list names several (a server with
 * tensor parallelism over cuda:0,cuda:1). `cuda` is `cuda:0`, and so is `auto`: a backend's `auto` picks
 * the GPU where there is one, so it is planned as if there were (the order of starts and stops is the
 * same on every machine). `cpu`, or no device at all, never clashes with anything: memory on the
 * host is not what a GPU server holds back.
 */
export function devicesOf(device: string | undefined): string[] {
  if (device === undefined) return [];
  const names = device
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter((d) => d !== '' && d !== 'cpu')
    .map((d) => (d === 'cuda' || d === 'auto' ? 'cuda:0' : d));
  return [...new Set(names)];
}

/** The first device two lists share, or undefined when they share none. */
export function sharedDevice(a: readonly string[], b: readonly string[]): string | undefined {
  return a.find((d) => b.includes(d));
}

/** How the run's log names devices: `cuda:0`, `cuda:0,cuda:1`, or `no device`. */
export function devicesText(devices: readonly string[]): string {
  return devices.length === 0 ? 'no device' : devices.join(',');
}
