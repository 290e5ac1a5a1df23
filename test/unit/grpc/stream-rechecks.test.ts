// Streams authenticated when they opened are checked again when the tokens change
// (api/grpc/stream-rechecks.ts). Every stream to end is stopped from taking triggers before any
// of them ends: a trigger handed on by the first must not go out on the second.

import { describe, expect, it } from 'vitest';
import { StreamRechecks, type RecheckedStream } from '../../../src/api/grpc/stream-rechecks.js';

function stream(name: string, verdict: Error | undefined, log: string[]): RecheckedStream {
  return {
    recheck: () => verdict,
    revoke: () => log.push(`revoke ${name}`),
    end: (error) => log.push(`end ${name}: ${error instanceof Error ? error.message : String(error)}`),
  };
}

describe('StreamRechecks', () => {
  it('ends only the streams whose check fails, revoking all of them before ending any', () => {
    const log: string[] = [];
    const rechecks = new StreamRechecks();
    rechecks.add(stream('a', new Error('revoked'), log));
    rechecks.add(stream('b', undefined, log));
    rechecks.add(stream('c', new Error('another app'), log));
    expect(rechecks.recheckAll()).toEqual({ kept: 1, ended: 2 });
    expect(log).toEqual(['revoke a', 'revoke c', 'end a: revoked', 'end c: another app']);
    // Ended streams are no longer held: a second change checks only the one left.
    log.length = 0;
    expect(rechecks.recheckAll()).toEqual({ kept: 1, ended: 0 });
    expect(log).toEqual([]);
  });

  it('forgets a stream that ended on its own', () => {
    const log: string[] = [];
    const rechecks = new StreamRechecks();
    const forget = rechecks.add(stream('a', new Error('revoked'), log));
    forget();
    expect(rechecks.recheckAll()).toEqual({ kept: 0, ended: 0 });
    expect(log).toEqual([]);
  });

  it('a check that throws ends its stream with that error instead of stopping the others', () => {
    const log: string[] = [];
    const rechecks = new StreamRechecks();
    rechecks.add({
      recheck: () => {
        throw new Error('broken check');
      },
      revoke: () => log.push('revoke a'),
      end: (error) => log.push(`end a: ${(error as Error).message}`),
    });
    rechecks.add(stream('b', new Error('revoked'), log));
    expect(rechecks.recheckAll()).toEqual({ kept: 0, ended: 2 });
    expect(log).toEqual(['revoke a', 'revoke b', 'end a: broken check', 'end b: revoked']);
  });
});
