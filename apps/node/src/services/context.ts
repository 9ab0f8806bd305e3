import type * as grpc from '@grpc/grpc-js';
import type { NodeConfig } from '@raftkit/config';
import type { RaftNode } from '@raftkit/core';
import type { RaftStorage } from '@raftkit/storage-lmdb';
import type { GrpcTransport } from '@raftkit/transport-grpc';
import type { Logger } from 'pino';
import type { MemberDirectory } from '../cluster/directory.js';
import type { KvStateMachine } from '../kv/kv-state-machine.js';
import type { KvApplyResult } from './kv-service.js';

/** What the member's services share. */
export interface ServiceContext {
  config: NodeConfig;
  clusterId: number;
  node: RaftNode<KvApplyResult | undefined>;
  sm: KvStateMachine;
  storage: RaftStorage;
  directory: MemberDirectory;
  transport: GrpcTransport;
  logger: Logger;
  version: string;
  /** Throws a gRPC error when the call's credentials are refused. */
  authorize(metadata: grpc.Metadata): void;
}
