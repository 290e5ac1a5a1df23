// Loads two protobufjs roots side by side: Duetime's own .proto files and the ones Dapr ships
// in @dapr/dapr. Field names are kept as written (snake_case) so that they compare with the
// names in the files, not with a JavaScript rendering of them.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { PROTO_DIR, PROTO_FILES } from '@duetime/sdk/protocol';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where @dapr/dapr keeps its .proto files (and its generated JavaScript beside them). */
export const DAPR_PROTO_DIR = path.resolve(here, '../../../node_modules/@dapr/dapr/proto');

/** Dapr's files that declare the services we re-implement (they import the rest). */
export const DAPR_FILES = ['dapr/proto/runtime/v1/dapr.proto', 'dapr/proto/scheduler/v1/scheduler.proto'];

/**
 * A root whose imports resolve inside `dir`. google/protobuf/* imports never reach the
 * resolver: protobufjs serves its bundled well-known types for them, the same ones
 * @grpc/proto-loader uses at run time.
 */
export function loadRoot(dir: string, files: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
  root.loadSync([...files], { keepCase: true });
  root.resolveAll();
  return root;
}

export function loadOurRoot(dir: string = PROTO_DIR): protobuf.Root {
  return loadRoot(dir, PROTO_FILES);
}

export function loadDaprRoot(): protobuf.Root {
  return loadRoot(DAPR_PROTO_DIR, DAPR_FILES);
}
