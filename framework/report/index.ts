import { writeFileAtomic } from '../util/fs.js';
import { gatherRun, type ReportOptions } from './data.js';
import { renderReport } from './html.js';

/** Writes one self-contained HTML report of the run directories to `out`; returns its size in bytes. */
export async function writeReport(dirs: readonly string[], out: string, options: ReportOptions = {}): Promise<number> {
  const runs = [];
  for (const dir of dirs) runs.push(await gatherRun(dir, options));
  const html = renderReport(runs);
  writeFileAtomic(out, html);
  return Buffer.byteLength(html);
}
