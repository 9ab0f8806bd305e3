/**
 * Crash test fixture: a single-member cluster (a real RawNode on this
 * storage) that proposes writes `w/<seq>` and prints `ack <seq> <index>`
 * only once the write is committed and applied through the state machine
 * helper, following the Ready contract. It takes snapshots and compacts as
 * it goes. The parent kills it at a random moment, or it kills itself
 * with SIGKILL right after printing its n-th acknowledgement, the moment
 * an acknowledgement sent before its write committed would be lost.
 * Arguments (on stdin): data directory, random seed, how Readies are
 * handled — `combined` (always `persistAndApply`, one transaction) or
 * `mixed` (that or a persist then a separate apply, at random) — and n
 * (0: never).
 *
 * The acknowledgements are the Ready's committed writes, printed once the
 * storage calls resolved, as a server answers its clients: they say what
 * the caller was promised, not what the apply callback happened to see.
 * An apply that follows a persist waits for its own commit, which comes
 * after the persist's, so a `persist` that resolved too early shows only
 * in `combined` Readies.
 */
import { EntryType, RawNode, StateRole, decodeConfChange, randomInt, seededRandom } from '@raftkit/core';
import { RaftStorage } from '../raft-storage.js';
import type { ApplyEntry } from '../state-machine-store.js';
import { printLine, readFixtureArgs } from './fixture-args.js';

const [dataDir, seed, mode = 'mixed', killAfter = '0'] = await readFixtureArgs();
if (mode !== 'combined' && mode !== 'mixed') throw new Error(`mode is ${mode}; expected combined or mixed`);
/** Acknowledged Readies left before the fixture kills itself; counted once it is ready. */
let acksBeforeKill = Number(killAfter) || Infinity;
let serving = false;
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
/**
 * Rewritten by every Ready: a commit then takes long enough (it writes a
 * megabyte of pages) that a kill right after an acknowledgement sent
 * before the commit finished usually lands before it.
 */
const blobKey = Buffer.from('blob');
const blob = Buffer.alloc(1 << 20, 7);
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
  for (const e of rd.committedEntries) {
    if (e.type === EntryType.Normal && e.data.length > 0) acks.push(`ack ${Number(Buffer.from(e.data).toString().slice(2))} ${e.index}`);
  }
  const lastCommitted = rd.committedEntries.at(-1)?.index;
  const applyEntry: ApplyEntry = (e, state) => {
    if (e.index === lastCommitted) state.put(blobKey, blob);
    if (e.type === EntryType.ConfChange) return node.applyConfChange(decodeConfChange(e.data));
    if (e.data.length === 0) return undefined;
    const seq = Number(Buffer.from(e.data).toString().slice(2));
    state.put(e.data, Buffer.from(`v${seq}`));
    // Not idempotent on purpose: an entry applied twice (or skipped) after a restart shows in the count.
    const count = Number(Buffer.from(state.get(countKey) ?? Buffer.from('0')).toString());
    state.put(countKey, Buffer.from(String(count + 1)));
    return undefined;
  };
  // Both ways of handling a Ready: one transaction, or persist then apply.
  if (mode === 'combined' || random() < 0.5) {
    await storage.persistAndApply(rd, applyEntry);
  } else {
    await log.persist(rd);
    if (rd.snapshot) await stateMachine.restoreFromSnapshot(rd.snapshot.metadata);
    await stateMachine.apply(rd.committedEntries, applyEntry);
  }
  for (const ack of acks) printLine(ack);
  // Stdout is a pipe written synchronously: the lines are out before the kill.
  if (serving && acks.length > 0 && --acksBeforeKill === 0) process.kill(process.pid, 'SIGKILL');
  node.advance();
}

node.campaign();
while (node.hasReady()) await handleReady();
if (node.raft.state !== StateRole.Leader) throw new Error(`a single member should lead after campaigning, but is ${node.raft.state}`);
printLine('ready');
serving = true;

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
