/**
 * Crash test fixture: a single-member cluster (a real RawNode on this
 * storage) that proposes writes `w/<seq>` and prints `ack <seq> <index>`
 * only once the write is committed and applied through the state machine
 * helper, following the Ready contract. It takes snapshots and compacts as
 * it goes. The parent kills it at a random moment. Arguments (on stdin):
 * data directory, random seed.
 */
import { EntryType, RawNode, StateRole, decodeConfChange, randomInt, seededRandom } from '@raftkit/core';
import { RaftStorage } from '../raft-storage.js';
import type { ApplyEntry } from '../state-machine-store.js';
import { printLine, readFixtureArgs } from './fixture-args.js';

const [dataDir, seed] = await readFixtureArgs();
const random = seededRandom(Number(seed));
const storage = await RaftStorage.open({ dataDir: dataDir!, bootstrap: { voters: [1] }, compactionBatch: 64 });
const { log, stateMachine } = storage;
await stateMachine.restoreIfNeeded();
const node = new RawNode({
  id: 1,
  storage: log,
  electionTick: 10,
  heartbeatTick: 1,
  applied: stateMachine.appliedIndex(),
  random,
});

/** Writes are `w/` and a zero-padded sequence number, so the last one is the largest such key. */
const writeKey = (seq: number): Uint8Array => Buffer.from(`w/${String(seq).padStart(9, '0')}`);
const [lastWrite] = [...stateMachine.range({ start: Buffer.from('w0'), end: Buffer.from('w/'), reverse: true, limit: 1 })];
const countKey = Buffer.from('count');
let nextSeq = lastWrite ? Number(Buffer.from(lastWrite.key).toString().slice(2)) + 1 : 1;
// Writes proposed before the crash may sit in the log unapplied; they will be applied, so their numbers are taken.
for (let i = stateMachine.appliedIndex() + 1; i <= log.lastIndex(); i++) {
  const [e] = log.entries(i, i + 1, 0);
  const text = Buffer.from(e!.data).toString();
  if (text.startsWith('w/')) nextSeq = Math.max(nextSeq, Number(text.slice(2)) + 1);
}

async function handleReady(): Promise<void> {
  const rd = node.ready();
  if (rd.messages.length > 0 || rd.messagesAfterPersist.length > 0) throw new Error('a single member has no one to send messages to');
  const acks: string[] = [];
  const applyEntry: ApplyEntry = (e, state) => {
    if (e.type === EntryType.ConfChange) return node.applyConfChange(decodeConfChange(e.data));
    if (e.data.length === 0) return undefined;
    const seq = Number(Buffer.from(e.data).toString().slice(2));
    state.put(e.data, Buffer.from(`v${seq}`));
    // Not idempotent on purpose: an entry applied twice (or skipped) after a restart shows in the count.
    const count = Number(Buffer.from(state.get(countKey) ?? Buffer.from('0')).toString());
    state.put(countKey, Buffer.from(String(count + 1)));
    acks.push(`ack ${seq} ${e.index}`);
    return undefined;
  };
  // Both ways of handling a Ready: one transaction, or persist then apply.
  if (random() < 0.5) {
    await storage.persistAndApply(rd, applyEntry);
  } else {
    await log.persist(rd);
    if (rd.snapshot) await stateMachine.restoreFromSnapshot(rd.snapshot.metadata);
    await stateMachine.apply(rd.committedEntries, applyEntry);
  }
  for (const ack of acks) printLine(ack);
  node.advance();
}

node.campaign();
while (node.hasReady()) await handleReady();
if (node.raft.state !== StateRole.Leader) throw new Error(`a single member should lead after campaigning, but is ${node.raft.state}`);
printLine('ready');

for (;;) {
  const batch: Uint8Array[] = [];
  for (let n = randomInt(random, 1, 20); n > 0; n--) batch.push(writeKey(nextSeq++));
  node.proposeBatch(batch);
  while (node.hasReady()) await handleReady();
  const applied = stateMachine.appliedIndex();
  if (applied - log.firstIndex() > 400) {
    const snapshot = await stateMachine.createSnapshot();
    await log.compact(snapshot.metadata.index - 100);
  }
}
