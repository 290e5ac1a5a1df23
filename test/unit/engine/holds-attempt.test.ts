// holdsAttempt: whether a refused outcome still belongs to the store's newer version of the job.

import { describe, expect, it } from 'vitest';
import { holdsAttempt, progressWith } from '../../../src/core/engine/progression.js';
import type { Progress } from '../../../src/core/model/job.js';

const base: Progress = { rev: 3, count: 2, attempts: 0, tickAt: 10_000, nextAt: 10_000, state: 'active' };
const regular = { scheduledAt: 10_000, attemptNumber: 1, manualTick: false };
const manual = { scheduledAt: 7_000, attemptNumber: 1, manualTick: true };

describe('holdsAttempt', () => {
  it('a regular attempt: held while its tick and attempt are pending, whatever else another write changed', () => {
    expect(holdsAttempt(base, regular)).toBe(true);
    expect(holdsAttempt(progressWith(base, { rev: 4, state: 'paused' }), regular)).toBe(true);
    expect(holdsAttempt(progressWith(base, { rev: 4, manualAt: 7_000, manualAttempts: 0, manualNextAt: 7_000 }), regular)).toBe(true);
    expect(holdsAttempt(progressWith(base, { staged: true }), regular)).toBe(true);
  });

  it('a regular attempt: not held once its tick is done, retried or moved on, or the job finished', () => {
    expect(holdsAttempt(progressWith(base, { count: 3, tickAt: 20_000, nextAt: 20_000 }), regular)).toBe(false);
    expect(holdsAttempt(progressWith(base, { attempts: 1, nextAt: 13_000 }), regular)).toBe(false);
    expect(holdsAttempt(progressWith(base, { tickAt: 30_000, nextAt: 30_000 }), regular)).toBe(false);
    expect(holdsAttempt(progressWith(base, { state: 'completed', finishedAt: 11_000, tickAt: undefined, nextAt: undefined }), regular)).toBe(false);
    expect(holdsAttempt(progressWith(base, { attempts: 1 }), { ...regular, attemptNumber: 2 })).toBe(true);
  });

  it('a manual attempt: held while that manual trigger is pending at that attempt, not once it is cleared, retried or another', () => {
    const triggered = progressWith(base, { manualAt: 7_000, manualAttempts: 0, manualNextAt: 7_000 });
    expect(holdsAttempt(triggered, manual)).toBe(true);
    expect(holdsAttempt(progressWith(triggered, { state: 'paused' }), manual)).toBe(true);
    expect(holdsAttempt(base, manual)).toBe(false);
    expect(holdsAttempt(progressWith(triggered, { manualAttempts: 1, manualNextAt: 10_000 }), manual)).toBe(false);
    expect(holdsAttempt(progressWith(triggered, { manualAt: 9_000, manualNextAt: 9_000 }), manual)).toBe(false);
  });
});
