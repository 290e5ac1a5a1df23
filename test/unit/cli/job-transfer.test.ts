import { describe, expect, it } from 'vitest';
import type { Job } from '@duetime/sdk';
import { toExportLine } from '../../../src/cli/job-transfer.js';

const base: Job = { name: 'once', dueTime: '10ms', failurePolicy: { drop: {} }, status: { count: 0, attempts: 0, state: 'active', nextTrigger: '2026-12-04T10:00:00.000Z' } };

describe('toExportLine', () => {
  it('exports a live job from its next trigger', () => {
    expect(toExportLine(base)).toEqual({ name: 'once', dueTime: '2026-12-04T10:00:00.000Z', failurePolicy: { drop: {} } });
  });

  it('leaves out a finished job\'s tombstone: importing it would run the job again', () => {
    for (const state of ['completed', 'failed'] as const) {
      const { nextTrigger: _none, ...status } = base.status;
      expect(toExportLine({ ...base, status: { ...status, count: 1, state, finishedTime: '2026-12-04T10:00:00.010Z' } })).toBeUndefined();
    }
  });
});
