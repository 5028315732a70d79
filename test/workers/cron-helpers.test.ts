import { describe, expect, it } from 'vitest';
import { cronRunId, manualCronRunId } from '../../src/domain/ids.js';
import { latestFire, parseSchedule } from '../../src/worker/cron.js';

/** The pure cron helpers, without workers or a database. */
describe('cron helpers', () => {
  const T = Date.parse('2026-03-01T10:00:00.000Z');

  it('a fire time maps to one run id that every worker computes alike, and sorts by time', () => {
    expect(cronRunId('report', T)).toBe('cron:report:2026-03-01T10:00:00.000Z');
    expect(cronRunId('report', T) < cronRunId('report', T + 1000)).toBe(true);
    const manual = manualCronRunId('report', T);
    expect(manual).toMatch(/^cron:report:manual:2026-03-01T10:00:00\.000Z:[0-9a-f]{6}$/);
    expect(manualCronRunId('report', T)).not.toBe(manual);
  });

  it('latestFire gives the last fire in (after, upTo], or null', () => {
    const everyMinute = parseSchedule('report', { cron: '0 * * * * *' });
    expect(latestFire(everyMinute, T - 1, T + 150_000)).toBe(T + 120_000);
    expect(latestFire(everyMinute, T, T + 59_999)).toBeNull();
    expect(latestFire(everyMinute, T - 1, T)).toBe(T);
  });

  it('honours the schedule time zone', () => {
    const nineInParis = parseSchedule('report', { cron: '0 0 9 * * *', timezone: 'Europe/Paris' });
    // 09:00 in Paris on 1 March (CET, UTC+1) is 08:00 UTC.
    expect(latestFire(nineInParis, T - 86_400_000, T)).toBe(Date.parse('2026-03-01T08:00:00.000Z'));
  });

  it('rejects an invalid expression with INVALID_ARGUMENT naming the workflow', () => {
    expect(() => parseSchedule('report', { cron: 'every day' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('workflow "report"') }));
    expect(() => parseSchedule('report', {} as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
