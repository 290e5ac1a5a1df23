// What the log says about the --access-control file at a SIGHUP (app/targets/access-control-reload.ts).
// A server started without the file has nothing to read: worth an info line when the SIGHUP read
// nothing at all (the operator may have expected something), only a debug note when it reloaded
// the tokens, or every token rotation would log it.

import { describe, expect, it } from 'vitest';
import { describeReload } from '../../../src/app/targets/access-control-reload.js';

describe('describeReload', () => {
  it('says at info that there is no policy file when the SIGHUP read no other file either', () => {
    expect(describeReload({ result: 'not-configured' }, { othersRead: false })).toEqual({
      level: 'info',
      message: 'reload: the server was started without --access-control, so there is no policy file to read; start it with one to use a policy',
    });
  });

  it('says it only at debug when the same SIGHUP read the token files', () => {
    expect(describeReload({ result: 'not-configured' }, { othersRead: true }).level).toBe('debug');
  });

  it('reports a reload at info and a refused file at error, whatever else was read', () => {
    for (const othersRead of [false, true]) {
      expect(describeReload({ result: 'reloaded', file: 'policy.yaml' }, { othersRead })).toEqual({ level: 'info', message: 'access control reloaded from policy.yaml' });
      expect(describeReload({ result: 'failed', file: 'policy.yaml', error: 'policy.yaml: bad' }, { othersRead }).level).toBe('error');
    }
  });
});
