/** Helpers to drive one RawNode by hand in tests and inspect what it emits. */
import { decodeConfChange } from '../confchange/codec.js';
import type { RaftConfig } from '../config.js';
import { RawNode, type Ready } from '../raw-node.js';
import { seededRandom } from '../random.js';
import { MemoryStorage } from '../storage.js';
import { type Entry, EntryType, type Message, MessageType, message } from '../types.js';

/**
 * A storage whose membership is set at index 0 with an empty log, the way
 * etcd's raft tests start, so hand-written logs can begin at index 1.
 * (Real founding members start from `MemoryStorage.withMembers`, whose
 * bootstrap snapshot occupies index 1.)
 */
export function memberStorage(voters: number[], learners: number[] = []): MemoryStorage {
  const s = new MemoryStorage();
  s.setConfState({ voters: [...voters], learners: [...learners], votersOutgoing: [], learnersNext: [], autoLeave: false });
  return s;
}

export function newNode(id: number, voters: number[], extra: Partial<RaftConfig> = {}, storage?: MemoryStorage): RawNode {
  return new RawNode({
    id,
    storage: storage ?? memberStorage(voters),
    electionTick: 10,
    heartbeatTick: 1,
    preVote: false,
    checkQuorum: false,
    random: seededRandom(id),
    ...extra,
  });
}

export interface Drained {
  ready: Ready;
  /** Every outgoing message, immediate ones first. */
  messages: Message[];
}

/** Handles one Ready against the node's MemoryStorage and returns what it emitted. */
export function drain(node: RawNode, storage?: MemoryStorage): Drained {
  const s = storage ?? (node.raft.raftLog.storage as MemoryStorage);
  const rd = node.ready();
  if (rd.snapshot) s.applySnapshot(rd.snapshot);
  s.append(rd.entries);
  if (rd.hardState) s.setHardState(rd.hardState);
  for (const e of rd.committedEntries) {
    if (e.type === EntryType.ConfChange) s.setConfState(node.applyConfChange(decodeConfChange(e.data)));
  }
  node.advance();
  return { ready: rd, messages: [...rd.messages, ...rd.messagesAfterPersist] };
}

/** Drains every pending Ready and returns all messages emitted. */
export function drainAll(node: RawNode): Message[] {
  const out: Message[] = [];
  while (node.hasReady()) out.push(...drain(node).messages);
  return out;
}

/** A message from the network with defaults. */
export function msg(fields: Partial<Message> & Pick<Message, 'type' | 'from' | 'to'>): Message {
  return message(fields);
}

export function ents(...terms: number[]): Entry[] {
  return terms.map((term, i) => ({ term, index: i + 1, type: EntryType.Normal, data: new Uint8Array() }));
}

/** A storage whose log holds entries of the given terms at indexes 1.. */
export function storageWithTerms(voters: number[], terms: number[], hardTerm?: number): MemoryStorage {
  const s = memberStorage(voters);
  s.append(ents(...terms));
  s.setHardState({ term: hardTerm ?? (terms.length > 0 ? terms[terms.length - 1]! : 0), vote: 0, commit: 0 });
  return s;
}

export { MessageType };
