/**
 * Core throughput: a 3-member cluster in one process, messages delivered in
 * memory, entries of 128 B proposed in batches on the leader. Measures the
 * Raft core alone (no disk, no network): committed entries/s, messages/s,
 * and ReadIndex reads/s.
 *
 *   pnpm --filter @raftkit/bench core-throughput [--seconds 5] [--batch 64]
 */
import { parseArgs } from 'node:util';
import { MemoryStorage, type Message, RawNode, StateRole, seededRandom } from '@raftkit/core';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '64' },
    'entry-bytes': { type: 'string', default: '128' },
  },
});
const seconds = Number(values.seconds);
const batch = Number(values.batch);
const entryBytes = Number(values['entry-bytes']);

interface Member {
  node: RawNode;
  storage: MemoryStorage;
  applied: number;
}

function cluster(): Member[] {
  const ids = [1, 2, 3];
  return ids.map((id) => {
    const storage = MemoryStorage.withMembers(ids);
    const node = new RawNode({ id, storage, electionTick: 10, heartbeatTick: 1, random: seededRandom(id), logTailAfterSnapshot: 10_000 });
    return { node, storage, applied: 0 };
  });
}

let messages = 0;

/** Handles every Ready and delivers every message until the cluster is quiet. */
function pump(members: Member[], onRead?: () => void): void {
  for (;;) {
    const outbox: Message[] = [];
    for (const m of members) {
      while (m.node.hasReady()) {
        const rd = m.node.ready();
        outbox.push(...rd.messages);
        m.storage.append(rd.entries);
        if (rd.hardState) m.storage.setHardState(rd.hardState);
        outbox.push(...rd.messagesAfterPersist);
        m.applied += rd.committedEntries.length;
        if (onRead) for (let i = 0; i < rd.readStates.length; i++) onRead();
        if (rd.compactTo !== undefined) m.storage.compact(rd.compactTo);
        m.node.advance();
      }
    }
    if (outbox.length === 0) return;
    messages += outbox.length;
    for (const msg of outbox) members[msg.to - 1]!.node.step(msg);
  }
}

function leaderOf(members: Member[]): Member {
  const m = members.find((x) => x.node.raft.state === StateRole.Leader);
  if (!m) throw new Error('no leader');
  return m;
}

function measureWrites(): { entriesPerSec: number; messagesPerSec: number; mbPerSec: number } {
  const members = cluster();
  members[0]!.node.campaign();
  pump(members);
  const leader = leaderOf(members);
  const payload = new Uint8Array(entryBytes).fill(7);
  const datas = Array.from({ length: batch }, () => payload);
  messages = 0;
  const startApplied = leader.applied;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(seconds * 1e9);
  let cycles = 0;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 16; i++) {
      leader.node.proposeBatch(datas);
      pump(members);
      cycles++;
    }
    // Keep memory flat: snapshot and compact like a real application would.
    if (cycles % 256 === 0) {
      for (const m of members) {
        const applied = m.node.raft.raftLog.applied;
        if (applied > m.storage.snapshot().metadata.index) {
          m.storage.createSnapshot(applied, m.node.raft.trk.confState(), new Uint8Array());
          m.node.reportSnapshotTaken(applied);
        }
      }
    }
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const committed = leader.applied - startApplied;
  return {
    entriesPerSec: committed / elapsed,
    messagesPerSec: messages / elapsed,
    mbPerSec: (committed * entryBytes) / elapsed / 1e6,
  };
}

function measureReads(): { readsPerSec: number } {
  const members = cluster();
  members[0]!.node.campaign();
  pump(members);
  const leader = leaderOf(members);
  let reads = 0;
  let ctx = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < deadline) {
    // A batch of concurrent reads shares one heartbeat round, as in a server.
    for (let i = 0; i < batch; i++) {
      const c = new Uint8Array(8);
      new DataView(c.buffer).setFloat64(0, ctx++);
      leader.node.readIndex(c);
    }
    pump(members, () => reads++);
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return { readsPerSec: reads / elapsed };
}

const w = measureWrites();
const r = measureReads();
console.log(`core-throughput: 3 members in one process, ${entryBytes} B entries, batches of ${batch}, ${seconds} s per figure`);
console.log(`  committed entries/s : ${Math.round(w.entriesPerSec).toLocaleString('en-US')}`);
console.log(`  payload MB/s        : ${w.mbPerSec.toFixed(1)}`);
console.log(`  messages/s          : ${Math.round(w.messagesPerSec).toLocaleString('en-US')}`);
console.log(`  ReadIndex reads/s   : ${Math.round(r.readsPerSec).toLocaleString('en-US')}`);
console.log(JSON.stringify({ bench: 'core-throughput', entryBytes, batch, ...w, ...r }));
