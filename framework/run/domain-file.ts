import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMAIN_FILE } from '../config/files.js';
import { createDomain, type Domain, type DomainData } from '../game/domain.js';
import type { RunDir } from './rundir.js';

/**
 * The domain a run played, written into its directory as data: candidates, attributes and the truth
 * table, a row of digits (0 no, 1 yes, 2 unknown) per candidate. The report and other readers of a run
 * rebuild the domain from it, so that a run copied to a machine without its domain plugin (a table
 * file of one's own, a code plugin) still shows the candidates left after each question.
 */
export interface DomainFile {
  name: string;
  noun: string;
  plural: string;
  article: string;
  candidates: DomainData['candidates'];
  attributes: { id: string; question: string; group?: string }[];
  truth?: string[];
}

export function domainFile(domain: Domain): DomainFile {
  const width = domain.attributes.length;
  const truth = domain.truth;
  return {
    name: domain.name,
    noun: domain.noun,
    plural: domain.plural,
    article: domain.aNoun.slice(0, domain.aNoun.length - domain.noun.length - 1),
    candidates: domain.candidates.map((c) => ({ id: c.id, name: c.name, aliases: [...c.aliases] })),
    // paraphrases are how a question is recognised; a reader of games has their attribute ids already
    attributes: domain.attributes.map((a) => ({ id: a.id, question: a.question, ...(a.group !== undefined ? { group: a.group } : {}) })),
    ...(truth ? { truth: domain.candidates.map((_, c) => truth.subarray(c * width, (c + 1) * width).join('')) } : {}),
  };
}

/** Writes the run's domain.json; the file is the same for a run and its resumes. */
export function writeDomainFile(run: RunDir, domain: Domain): void {
  if (!existsSync(run.file(DOMAIN_FILE))) run.writeJson(DOMAIN_FILE, domainFile(domain));
}

/** The domain a run recorded, or undefined when it recorded none (a run of format 1); a damaged file is an error naming it. */
export function readDomainFile(dir: string): Domain | undefined {
  const file = join(dir, DOMAIN_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as DomainFile;
    const bad = data.truth?.findIndex((row) => !/^[012]*$/.test(row)) ?? -1;
    if (bad >= 0) throw new Error(`truth row ${bad} holds a character other than 0, 1, 2`);
    const { truth, ...rest } = data;
    return createDomain({ ...rest, attributes: data.attributes.map((a) => ({ ...a, paraphrases: [] })), ...(truth ? { truth: Uint8Array.from(truth.join(''), Number) } : {}) });
  } catch (error) {
    throw new Error(`${file} is damaged (${(error as Error).message}): twentyq writes it whole when a run starts; restore it from a copy of the run directory`);
  }
}
