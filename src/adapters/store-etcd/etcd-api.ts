// The part of etcd's v3 gRPC API that Duetime uses (KV Range/Txn, Lease Grant/Revoke/KeepAlive,
// Watch), written here as a protobuf JSON descriptor: our own subset, with etcd's package and
// service names and field numbers so that it speaks to any etcd 3.4+. Kept in code rather than a
// .proto file so that the built package needs no file beside the JavaScript.
//
// Field names are camelCase (the loader keeps them as written). int64 values arrive as decimal
// strings (lease ids use all 64 bits); bytes are Buffers.

import type { fromJSON } from '@grpc/proto-loader';

type INamespace = Parameters<typeof fromJSON>[0];

const header = { header: { type: 'ResponseHeader', id: 1 } };
const unary = (requestType: string, responseType: string) => ({ requestType, responseType, comment: '' });
const bidi = (requestType: string, responseType: string) => ({ requestType, responseType, requestStream: true, responseStream: true, comment: '' });

export const ETCD_API: INamespace = {
  nested: {
    mvccpb: {
      nested: {
        KeyValue: {
          fields: {
            key: { type: 'bytes', id: 1 },
            createRevision: { type: 'int64', id: 2 },
            modRevision: { type: 'int64', id: 3 },
            version: { type: 'int64', id: 4 },
            value: { type: 'bytes', id: 5 },
            lease: { type: 'int64', id: 6 },
          },
        },
        Event: {
          fields: {
            type: { type: 'EventType', id: 1 },
            kv: { type: 'KeyValue', id: 2 },
            prevKv: { type: 'KeyValue', id: 3 },
          },
          nested: { EventType: { values: { PUT: 0, DELETE: 1 } } },
        },
      },
    },
    etcdserverpb: {
      nested: {
        ResponseHeader: {
          fields: {
            clusterId: { type: 'uint64', id: 1 },
            memberId: { type: 'uint64', id: 2 },
            revision: { type: 'int64', id: 3 },
            raftTerm: { type: 'uint64', id: 4 },
          },
        },
        RangeRequest: {
          fields: {
            key: { type: 'bytes', id: 1 },
            rangeEnd: { type: 'bytes', id: 2 },
            limit: { type: 'int64', id: 3 },
            revision: { type: 'int64', id: 4 },
            sortOrder: { type: 'int32', id: 5 },
            sortTarget: { type: 'int32', id: 6 },
            serializable: { type: 'bool', id: 7 },
            keysOnly: { type: 'bool', id: 8 },
            countOnly: { type: 'bool', id: 9 },
          },
        },
        RangeResponse: {
          fields: {
            ...header,
            kvs: { rule: 'repeated', type: 'mvccpb.KeyValue', id: 2 },
            more: { type: 'bool', id: 3 },
            count: { type: 'int64', id: 4 },
          },
        },
        PutRequest: {
          fields: {
            key: { type: 'bytes', id: 1 },
            value: { type: 'bytes', id: 2 },
            lease: { type: 'int64', id: 3 },
            prevKv: { type: 'bool', id: 4 },
          },
        },
        PutResponse: { fields: { ...header, prevKv: { type: 'mvccpb.KeyValue', id: 2 } } },
        DeleteRangeRequest: {
          fields: {
            key: { type: 'bytes', id: 1 },
            rangeEnd: { type: 'bytes', id: 2 },
            prevKv: { type: 'bool', id: 3 },
          },
        },
        DeleteRangeResponse: { fields: { ...header, deleted: { type: 'int64', id: 2 }, prevKvs: { rule: 'repeated', type: 'mvccpb.KeyValue', id: 3 } } },
        RequestOp: {
          oneofs: { request: { oneof: ['requestRange', 'requestPut', 'requestDeleteRange', 'requestTxn'] } },
          fields: {
            requestRange: { type: 'RangeRequest', id: 1 },
            requestPut: { type: 'PutRequest', id: 2 },
            requestDeleteRange: { type: 'DeleteRangeRequest', id: 3 },
            requestTxn: { type: 'TxnRequest', id: 4 },
          },
        },
        ResponseOp: {
          oneofs: { response: { oneof: ['responseRange', 'responsePut', 'responseDeleteRange', 'responseTxn'] } },
          fields: {
            responseRange: { type: 'RangeResponse', id: 1 },
            responsePut: { type: 'PutResponse', id: 2 },
            responseDeleteRange: { type: 'DeleteRangeResponse', id: 3 },
            responseTxn: { type: 'TxnResponse', id: 4 },
          },
        },
        Compare: {
          oneofs: { targetUnion: { oneof: ['version', 'createRevision', 'modRevision', 'value', 'lease'] } },
          fields: {
            result: { type: 'int32', id: 1 },
            target: { type: 'int32', id: 2 },
            key: { type: 'bytes', id: 3 },
            version: { type: 'int64', id: 4 },
            createRevision: { type: 'int64', id: 5 },
            modRevision: { type: 'int64', id: 6 },
            value: { type: 'bytes', id: 7 },
            lease: { type: 'int64', id: 8 },
          },
        },
        TxnRequest: {
          fields: {
            compare: { rule: 'repeated', type: 'Compare', id: 1 },
            success: { rule: 'repeated', type: 'RequestOp', id: 2 },
            failure: { rule: 'repeated', type: 'RequestOp', id: 3 },
          },
        },
        TxnResponse: {
          fields: {
            ...header,
            succeeded: { type: 'bool', id: 2 },
            responses: { rule: 'repeated', type: 'ResponseOp', id: 3 },
          },
        },
        WatchRequest: {
          oneofs: { requestUnion: { oneof: ['createRequest', 'cancelRequest', 'progressRequest'] } },
          fields: {
            createRequest: { type: 'WatchCreateRequest', id: 1 },
            cancelRequest: { type: 'WatchCancelRequest', id: 2 },
            progressRequest: { type: 'WatchProgressRequest', id: 3 },
          },
        },
        WatchCreateRequest: {
          fields: {
            key: { type: 'bytes', id: 1 },
            rangeEnd: { type: 'bytes', id: 2 },
            startRevision: { type: 'int64', id: 3 },
            progressNotify: { type: 'bool', id: 4 },
            prevKv: { type: 'bool', id: 6 },
          },
        },
        WatchCancelRequest: { fields: { watchId: { type: 'int64', id: 1 } } },
        WatchProgressRequest: { fields: {} },
        WatchResponse: {
          fields: {
            ...header,
            watchId: { type: 'int64', id: 2 },
            created: { type: 'bool', id: 3 },
            canceled: { type: 'bool', id: 4 },
            compactRevision: { type: 'int64', id: 5 },
            cancelReason: { type: 'string', id: 6 },
            fragment: { type: 'bool', id: 7 },
            events: { rule: 'repeated', type: 'mvccpb.Event', id: 11 },
          },
        },
        LeaseGrantRequest: { fields: { TTL: { type: 'int64', id: 1 }, ID: { type: 'int64', id: 2 } } },
        LeaseGrantResponse: {
          fields: { ...header, ID: { type: 'int64', id: 2 }, TTL: { type: 'int64', id: 3 }, error: { type: 'string', id: 4 } },
        },
        LeaseRevokeRequest: { fields: { ID: { type: 'int64', id: 1 } } },
        LeaseRevokeResponse: { fields: { ...header } },
        LeaseKeepAliveRequest: { fields: { ID: { type: 'int64', id: 1 } } },
        LeaseKeepAliveResponse: { fields: { ...header, ID: { type: 'int64', id: 2 }, TTL: { type: 'int64', id: 3 } } },
        KV: {
          methods: {
            Range: unary('RangeRequest', 'RangeResponse'),
            Txn: unary('TxnRequest', 'TxnResponse'),
          },
        },
        Watch: {
          methods: {
            Watch: bidi('WatchRequest', 'WatchResponse'),
          },
        },
        Lease: {
          methods: {
            LeaseGrant: unary('LeaseGrantRequest', 'LeaseGrantResponse'),
            LeaseRevoke: unary('LeaseRevokeRequest', 'LeaseRevokeResponse'),
            LeaseKeepAlive: bidi('LeaseKeepAliveRequest', 'LeaseKeepAliveResponse'),
          },
        },
      },
    },
  },
};

// ---- the messages as this code sees them ----

/** int64 on the wire: decimal strings out, strings or numbers in. */
export type Int64 = string;

export interface ResponseHeader {
  revision: Int64;
}

export interface KeyValue {
  key: Buffer;
  createRevision: Int64;
  modRevision: Int64;
  version: Int64;
  value: Buffer;
  lease: Int64;
}

export interface RangeRequest {
  key: Buffer;
  rangeEnd?: Buffer;
  limit?: number;
  revision?: number;
  /** 0 none, 1 ascend, 2 descend. */
  sortOrder?: number;
  /** 0 key, 1 version, 2 create, 3 mod, 4 value. */
  sortTarget?: number;
  keysOnly?: boolean;
  countOnly?: boolean;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: Int64;
}

export interface PutRequest {
  key: Buffer;
  value: Buffer;
  lease?: Int64;
  /** Answer the key's value before this put (PutResponse.prevKv), read by the put itself. */
  prevKv?: boolean;
}

export interface DeleteRangeRequest {
  key: Buffer;
  rangeEnd?: Buffer;
  /** Answer what was deleted (DeleteRangeResponse.prevKvs), read by the delete itself. */
  prevKv?: boolean;
}

export type RequestOp =
  | { requestRange: RangeRequest }
  | { requestPut: PutRequest }
  | { requestDeleteRange: DeleteRangeRequest }
  | { requestTxn: TxnRequest };

export interface ResponseOp {
  response: 'responseRange' | 'responsePut' | 'responseDeleteRange' | 'responseTxn';
  responseRange?: RangeResponse;
  /** prevKv: null unless the put asked for it and the key existed. */
  responsePut?: { header: ResponseHeader; prevKv: KeyValue | null };
  /** prevKvs: empty unless the delete asked for them. */
  responseDeleteRange?: { header: ResponseHeader; deleted: Int64; prevKvs: readonly KeyValue[] };
  responseTxn?: TxnResponse;
}

export const CompareResult = { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 } as const;
export const CompareTarget = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 } as const;

export interface Compare {
  result: number;
  target: number;
  key: Buffer;
  version?: number;
  createRevision?: number | Int64;
  modRevision?: number | Int64;
  value?: Buffer;
  lease?: Int64;
}

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface WatchCreateRequest {
  key: Buffer;
  rangeEnd: Buffer;
  startRevision: number;
  progressNotify?: boolean;
  prevKv?: boolean;
}

export interface WatchEvent {
  /** 0 put, 1 delete. */
  type: number | string;
  kv: KeyValue;
  prevKv: KeyValue | null;
}

export interface WatchResponse {
  header: ResponseHeader;
  watchId: Int64;
  created: boolean;
  canceled: boolean;
  compactRevision: Int64;
  cancelReason: string;
  events: WatchEvent[];
}

export interface LeaseGrantResponse {
  header: ResponseHeader;
  ID: Int64;
  TTL: Int64;
  error: string;
}

export interface LeaseKeepAliveResponse {
  header: ResponseHeader;
  ID: Int64;
  TTL: Int64;
}
