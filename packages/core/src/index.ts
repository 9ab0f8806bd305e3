/**
 * @raftkit/core — the Raft consensus algorithm as a pure, deterministic state
 * machine: no I/O, no clock, no hidden randomness. Start with {@link RawNode}.
 *
 * @packageDocumentation
 */
export * from './types.js';
export * from './errors.js';
export { type RaftConfig, type ResolvedRaftConfig, resolveRaftConfig } from './config.js';
export { type RaftLogger, silentLogger } from './logger.js';
export { type RandomSource, seededRandom, randomInt } from './random.js';
export { type LogStorage, type InitialState, MemoryStorage } from './storage.js';
export { type ReadOnlyOption } from './read-only.js';
export { RawNode, type Ready, SnapshotStatus } from './raw-node.js';
export { Raft, CampaignType, type TransferOutcome } from './raft.js';
export { type Status, type ProgressStatus } from './status.js';
export { ProgressState } from './tracker/progress.js';
export { VoteResult, MajorityConfig } from './quorum/majority.js';
export { JointConfig } from './quorum/joint.js';
export {
  ConfChangeType,
  ConfChangeTransition,
  type ConfChange,
  type ConfChangeSingle,
  isLeaveJoint,
} from './confchange/types.js';
export { encodeConfChange, decodeConfChange, ConfChangeDecodeError } from './confchange/codec.js';
export {
  ENTRY_OVERHEAD_BYTES,
  entryEncodingSize,
  entriesEncodingSize,
  payloadsSize,
  isLocalMessage,
  isResponseMessage,
} from './util.js';
export type { Clock, TimerHandle, PersistUpdate, NodeStorage, NodeTransport, AppliedEntry, NodeStateMachine } from './node/interfaces.js';
export { RaftNode, RaftNodeError, type RaftNodeErrorCode, type RaftNodeEvent, type RaftNodeOptions, type RaftNodeStatus } from './node/raft-node.js';
export { type ProposalId, PROPOSAL_HEADER_BYTES, encodeProposal, decodeProposal } from './node/proposal-codec.js';
export { bootstrapState, BOOTSTRAP_INDEX, BOOTSTRAP_TERM } from './bootstrap.js';
export { ProposalDeduplicator, type DeduplicatorState } from './node/deduplicator.js';
