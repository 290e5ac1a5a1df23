// Who is calling over gRPC. The runtime API reads call metadata as HTTP reads headers
// (dapr-app-id, dapr-namespace, dapr-api-token); the scheduler API takes the app from the
// request's JobMetadata, as Dapr's control plane does. Both apply the same token rules
// (app/caller-identity.ts).

import type { Metadata } from '@grpc/grpc-js';
import { resolveCaller, type Caller, type IdentityOptions } from '../../app/caller-identity.js';
import { DuetimeError } from '../../core/errors.js';

export function runtimeCaller(metadata: Metadata, options: IdentityOptions): Caller {
  return resolveCaller(
    { appId: first(metadata, 'dapr-app-id'), namespace: first(metadata, 'dapr-namespace'), token: presentedToken(metadata) },
    options,
    { appId: 'dapr-app-id', token: 'dapr-api-token' },
  );
}

/** The scheduler API: the owner named in the request (JobMetadata, or WatchJobs' initial message). */
export function schedulerCaller(metadata: Metadata, owner: { appId?: string; namespace?: string } | null | undefined, options: IdentityOptions): Caller {
  return resolveCaller(
    { appId: owner?.appId, namespace: owner?.namespace, token: presentedToken(metadata) },
    options,
    { appId: 'metadata.app_id', token: 'dapr-api-token' },
  );
}

/**
 * A stream's caller checked again after the tokens changed (stream-rechecks.ts): the error to end
 * it with when its token is no longer valid, or now acts as another app or namespace than the one
 * the stream serves (a stream cannot change app: the client reconnects as the new one).
 */
export function schedulerCallerChanged(metadata: Metadata, owner: { appId?: string; namespace?: string } | null | undefined, options: IdentityOptions, serving: Caller): unknown {
  let now: Caller;
  try {
    now = schedulerCaller(metadata, owner, options);
  } catch (error) {
    return error;
  }
  if (now.appId === serving.appId && now.namespace === serving.namespace) return undefined;
  return new DuetimeError(
    'forbidden',
    'ERR_PERMISSION_DENIED',
    `this stream's token now acts as app "${now.appId}" in namespace "${now.namespace}", and the stream serves "${serving.appId}" in "${serving.namespace}"; open a new stream`,
    'dapr-api-token',
  );
}

function presentedToken(metadata: Metadata): string | undefined {
  return first(metadata, 'dapr-api-token') ?? bearer(first(metadata, 'authorization'));
}

function first(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  const text = typeof value === 'string' ? value : value?.toString('utf8');
  return text === undefined || text === '' ? undefined : text;
}

function bearer(value: string | undefined): string | undefined {
  return value?.match(/^Bearer\s+(.+)$/i)?.[1];
}
