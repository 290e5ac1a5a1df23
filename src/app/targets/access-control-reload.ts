// Re-reading the --access-control file while the server runs (SIGHUP; docs/security.md "Changing
// the policy and the tokens without a restart"; the tokens: app/token-reload.ts). A file that reads well replaces the policy at once, for jobs
// already stored too, since every delivery checks again. A file that does not read (a typo, a
// half-written save) is reported and the policy in force stays: a reload never leaves the server
// with no policy, or a more open one, because of a bad edit.

import type { AccessControl } from '../../core/model/access-control.js';
import type { InvokeAccess } from './invoke-access.js';

export type AccessControlReloadResult =
  /** The file was read and its policies are in force. */
  | { result: 'reloaded'; file: string }
  /** The file could not be used; the previous policies stay in force. */
  | { result: 'failed'; file: string; error: string }
  /** The server was started without --access-control: there is no file to read. */
  | { result: 'not-configured' };

export interface AccessControlReloadOptions {
  /** The --access-control file, when the server was started with one. */
  file: string | undefined;
  /** Reads and checks the file; throws a message naming the file and the field. */
  read: (file: string) => AccessControl;
  access: InvokeAccess;
}

export function reloadAccessControl(options: AccessControlReloadOptions): AccessControlReloadResult {
  const { file } = options;
  if (file === undefined) return { result: 'not-configured' };
  let policy: AccessControl;
  try {
    policy = options.read(file);
  } catch (error) {
    return { result: 'failed', file, error: error instanceof Error ? error.message : String(error) };
  }
  options.access.usePolicy(policy);
  return { result: 'reloaded', file };
}

/** What else the same SIGHUP did, which decides how loud a "nothing to read" line is. */
export interface ReloadContext {
  /** Another setting's files were read (the API tokens'). */
  othersRead: boolean;
}

/**
 * What the log says about a reload: an error when the file was refused (the old policy stays).
 * Without --access-control there is nothing to read: at info when the SIGHUP read nothing at all,
 * since the operator may have expected it to do something; at debug when it read the token files,
 * or every token rotation on a server without a policy would log it.
 */
export function describeReload(outcome: AccessControlReloadResult, context: ReloadContext = { othersRead: false }): { level: 'debug' | 'info' | 'error'; message: string } {
  switch (outcome.result) {
    case 'reloaded':
      return { level: 'info', message: `access control reloaded from ${outcome.file}` };
    case 'failed':
      return { level: 'error', message: `access control not reloaded, the previous policy stays in force: ${outcome.error}; fix the file and send SIGHUP again` };
    case 'not-configured':
      return { level: context.othersRead ? 'debug' : 'info', message: 'reload: the server was started without --access-control, so there is no policy file to read; start it with one to use a policy' };
  }
}
