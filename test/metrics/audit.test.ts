import { beforeAll, describe, expect, it } from 'vitest';
import { auditGames, type AuditReport, auditSummary, auditTable } from '../../framework/metrics/audit.js';
import type { Answer, Trajectory } from '../../framework/game/types.js';
import { animals90 } from '../helpers.js';

const domain = animals90();

function game(id: number, target: string, outcome: 'win' | 'loss', questions: number, answers: [string, Answer][] = []): Trajectory {
  const turns = answers.map(([attribute, answer]) => ({ move: { kind: 'question' as const, text: `${attribute}?`, attribute }, answer }));
  return { game: id, seed: id, policy: 't', target, turns, outcome, questions, invalid: 0 };
}

describe('audit', () => {
  const games = [
    game(0, 'zebra', 'win', 7, [
      ['stripes', 'yes'],
      ['mammal', 'no'],
    ]), // one contradiction (a zebra is a mammal)
    game(1, 'zebra', 'win', 5),
    game(2, 'zebra', 'loss', 20),
    game(3, 'zebra', 'win', 9, [['dangerous', 'yes']]), // whether a zebra is dangerous is unknown: not checked
    game(4, 'lion', 'loss', 20, [['fur', 'yes']]),
    game(5, 'owl', 'win', 6),
    { ...game(6, 'unicorn', 'win', 3) },
    // a free-form question is matched to its attribute before it is checked: a lion is no bird
    { ...game(7, 'lion', 'loss', 20), turns: [{ move: { kind: 'question' as const, text: 'Is it a kind of bird?' }, answer: 'yes' as Answer }] },
  ];
  let report: AuditReport;
  beforeAll(async () => {
    report = await auditGames(games, domain, 2);
  });

  it('counts games, wins, win rate, fewest and median questions per animal', () => {
    const zebra = report.animals.find((a) => a.target === 'zebra')!;
    expect(zebra).toEqual({ target: 'zebra', games: 4, wins: 3, win_rate: 0.75, fewest: 5, median: 7, contradictions: 1 });
    expect(report.animals.find((a) => a.target === 'owl')).toMatchObject({ games: 1, wins: 1, fewest: 6, median: 6 });
    expect(report.animals.find((a) => a.target === 'lion')).toMatchObject({ games: 2, wins: 0, win_rate: 0, fewest: null, median: null, contradictions: 1 });
    expect(report.animals).toHaveLength(90);
  });

  it('names the animals with no winning game and those below the minimum', () => {
    expect(report.gaps).toContain('lion');
    expect(report.gaps).toContain('giraffe'); // no game at all
    expect(report.gaps).not.toContain('zebra');
    expect(report.gaps).toHaveLength(88);
    expect(report.thin).toEqual(['owl']);
    expect(report.unknown_targets).toEqual(['unicorn']);
  });

  it('counts answers that contradict the truth table, decided facts only', () => {
    // checked: zebra stripes (ok), zebra mammal (wrong), lion fur (ok), lion "bird" (wrong); zebra dangerous is unknown
    expect(report.answers_checked).toBe(4);
    expect(report.contradictions).toBe(2);
  });

  it('prints a table and a summary', () => {
    expect(auditTable(report.animals)).toMatch(/zebra\s+4\s+3\s+75\.0%\s+5\s+7\.0\s+1/);
    const summary = auditSummary(report);
    expect(summary).toContain('wins per animal: min 0, median 0, max 3; 2/90 animals have a winning game.');
    expect(summary).toContain('answers contradicting the truth table: 2 of 4 checked (50.00%).');
    expect(summary).toContain('fewer than 2 wins (1): owl');
    expect(summary).toContain('targets the domain does not know (ignored): unicorn');
  });
});
