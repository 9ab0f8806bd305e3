/**
 * Raft's safety properties (paper, Figure 3) checked after every event of
 * randomized runs: messages delayed, reordered, dropped and duplicated,
 * partitions, crashes between ready() and persistence, restarts, and client
 * proposals on random members. The full adversary lives in
 * @raftkit/testkit; this is the core's own guard.
 */
import { describe, expect, it } from 'vitest';
import { decodeConfChange } from './confchange/codec.js';
import { type RandomSource, seededRandom } from './random.js';
import { RawNode, type Ready } from './raw-node.js';
import { MemoryStorage } from './storage.js';
import { type Entry, EntryType, type Message, StateRole } from './types.js';

interface Member {
  id: number;
  node: RawNode;
  storage: MemoryStorage;
  pending: Ready | undefined;
  appliedIndex: number;
  up: boolean;
}

class Violation extends Error {}

const keyCache = new WeakMap<Entry, string>();

function entryKey(e: Entry): string {
  let k = keyCache.get(e);
  if (k === undefined) {
    k = `${e.term}:${e.type}:${Buffer.from(e.data).toString('hex')}`;
    keyCache.set(e, k);
  }
  return k;
}

class RandomRun {
  readonly members: Member[] = [];
  private inFlight: Message[] = [];
  private cut = new Set<string>();
  private readonly random: RandomSource;
  private leaders = new Map<number, number>(); // term -> leader
  private leaderLogs = new Map<string, string[]>(); // "id@term" -> log keys
  private committed = new Map<number, string>(); // index -> entry key
  private applied = new Map<number, string>();
  private proposals = 0;

  constructor(
    readonly size: number,
    readonly seed: number,
  ) {
    this.random = seededRandom(seed);
    const ids = Array.from({ length: size }, (_, i) => i + 1);
    for (const id of ids) {
      const storage = MemoryStorage.withMembers(ids);
      // Founding members start with the bootstrap snapshot at index 1 applied.
      this.members.push({ id, node: this.newNode(id, storage, 1), storage, pending: undefined, appliedIndex: 1, up: true });
    }
  }

  private newNode(id: number, storage: MemoryStorage, applied: number): RawNode {
    return new RawNode({
      id,
      storage,
      electionTick: 10,
      heartbeatTick: 2,
      applied,
      random: seededRandom(this.seed * 31 + id),
      maxInflightMsgs: 4,
      maxSizePerMsg: 200,
    });
  }

  private pick<T>(xs: T[]): T {
    return xs[Math.floor(this.random() * xs.length)]!;
  }

  /** One random event. */
  step(): void {
    const r = this.random();
    const live = this.members.filter((m) => m.up);
    if (r < 0.4 && this.inFlight.length > 0) this.deliver();
    else if (r < 0.58) this.startReady(this.pick(live));
    else if (r < 0.76) this.finishReady(this.pick(live));
    else if (r < 0.85) this.pick(live).node.tick();
    else if (r < 0.97) this.propose(this.pick(live));
    else if (r < 0.985) this.partitionOrHeal();
    else this.crashOrRestart();
    this.check();
  }

  private deliver(): void {
    const i = Math.floor(this.random() * Math.min(this.inFlight.length, 4));
    const [m] = this.inFlight.splice(i, 1);
    if (!m) return;
    const to = this.members[m.to - 1]!;
    if (!to.up || this.cut.has(`${m.from}-${m.to}`)) return;
    if (this.random() < 0.05) return; // lost
    if (this.random() < 0.05) this.inFlight.push(m); // duplicated later
    to.node.step(m);
  }

  private send(msgs: Message[]): void {
    for (const m of msgs) this.inFlight.push(m);
  }

  private startReady(m: Member): void {
    if (m.pending || !m.node.hasReady()) return;
    m.pending = m.node.ready();
    this.send(m.pending.messages);
  }

  private finishReady(m: Member): void {
    const rd = m.pending;
    if (!rd) return;
    m.pending = undefined;
    if (rd.snapshot) m.storage.applySnapshot(rd.snapshot);
    m.storage.append(rd.entries);
    if (rd.hardState) m.storage.setHardState(rd.hardState);
    this.send(rd.messagesAfterPersist);
    for (const e of rd.committedEntries) {
      const k = entryKey(e);
      const prev = this.applied.get(e.index);
      if (prev !== undefined && prev !== k) throw new Violation(`state machine safety: index ${e.index} applied as ${prev} and ${k}`);
      this.applied.set(e.index, k);
      if (e.index !== m.appliedIndex + 1) throw new Violation(`member ${m.id} applied ${e.index} after ${m.appliedIndex}`);
      m.appliedIndex = e.index;
      if (e.type === EntryType.ConfChange) m.storage.setConfState(m.node.applyConfChange(decodeConfChange(e.data)));
    }
    m.node.advance();
  }

  private propose(m: Member): void {
    try {
      m.node.propose(new TextEncoder().encode(`p${this.seed}-${this.proposals++}`));
    } catch {
      // Dropped: no leader known, or limits. Clients retry in real life.
    }
  }

  private partitionOrHeal(): void {
    if (this.cut.size > 0 || this.random() < 0.3) {
      this.cut.clear();
      return;
    }
    const minority = this.members.filter(() => this.random() < 0.4).map((m) => m.id);
    for (const a of minority) for (const b of this.members) if (!minority.includes(b.id)) {
      this.cut.add(`${a}-${b.id}`);
      this.cut.add(`${b.id}-${a}`);
    }
  }

  private crashOrRestart(): void {
    const down = this.members.filter((m) => !m.up);
    if (down.length > 0 && this.random() < 0.6) {
      const m = this.pick(down);
      m.node = this.newNode(m.id, m.storage, m.appliedIndex);
      m.up = true;
      return;
    }
    if (down.length >= Math.floor((this.size - 1) / 2)) return;
    const m = this.pick(this.members.filter((x) => x.up));
    // Whatever was handed out but not persisted is lost with the process.
    m.pending = undefined;
    m.up = false;
    this.inFlight = this.inFlight.filter((x) => x.to !== m.id);
  }

  private logKeys(node: RawNode): string[] {
    const log = node.raft.raftLog;
    const out: string[] = [];
    const first = log.firstIndex();
    const last = log.lastIndex();
    if (last >= first) {
      const ents = log.slice(first, last + 1, Number.MAX_SAFE_INTEGER);
      for (const e of ents) out[e.index] = entryKey(e);
    }
    return out;
  }

  check(): void {
    const logs = new Map<number, string[]>();
    for (const m of this.members) {
      if (!m.up) continue;
      const r = m.node.raft;
      const log = this.logKeys(m.node);
      logs.set(m.id, log);
      // Committed entries never change and exist in the committer's log.
      for (let i = 1; i <= r.raftLog.committed; i++) {
        const k = log[i];
        if (k === undefined) continue;
        const prev = this.committed.get(i);
        if (prev !== undefined && prev !== k) throw new Violation(`committed entry ${i} changed from ${prev} to ${k} on ${m.id}`);
        this.committed.set(i, k);
      }
      if (r.state !== StateRole.Leader) continue;
      // Election safety: at most one leader per term.
      const other = this.leaders.get(r.term);
      if (other !== undefined && other !== m.id) throw new Violation(`two leaders in term ${r.term}: ${other} and ${m.id}`);
      this.leaders.set(r.term, m.id);
      // Leader completeness: a leader holds every committed entry.
      for (const [i, k] of this.committed) {
        if (i >= r.raftLog.firstIndex() && log[i] !== k) throw new Violation(`leader ${m.id} (term ${r.term}) lacks committed entry ${i}`);
      }
      // Leader append-only: its log only grows while it leads.
      const key = `${m.id}@${r.term}`;
      const before = this.leaderLogs.get(key);
      if (before) {
        for (let i = 1; i < before.length; i++) {
          if (before[i] !== undefined && log[i] !== undefined && before[i] !== log[i]) {
            throw new Violation(`leader ${m.id} overwrote its entry ${i} in term ${r.term}`);
          }
        }
        if (log.length < before.length) throw new Violation(`leader ${m.id} truncated its log in term ${r.term}`);
      }
      this.leaderLogs.set(key, log);
    }
    // Log matching: if two logs have an entry with the same index and term,
    // they are identical up to that index.
    const ids = [...logs.keys()];
    for (let a = 0; a < ids.length; a++) {
      for (let b = a + 1; b < ids.length; b++) {
        const la = logs.get(ids[a]!)!;
        const lb = logs.get(ids[b]!)!;
        const n = Math.min(la.length, lb.length) - 1;
        let i = n;
        while (i > 0 && (la[i] === undefined || lb[i] === undefined || la[i]!.split(':')[0] !== lb[i]!.split(':')[0])) i--;
        for (let j = i; j > 0; j--) {
          if (la[j] === undefined || lb[j] === undefined) break;
          if (la[j] !== lb[j]) throw new Violation(`log matching: members ${ids[a]} and ${ids[b]} agree at ${i} but differ at ${j}`);
        }
      }
    }
  }

  /** Heals everything and runs until a leader commits a final write on every member. */
  settle(): void {
    this.cut.clear();
    for (const m of this.members) {
      if (!m.up) {
        m.node = this.newNode(m.id, m.storage, m.appliedIndex);
        m.up = true;
      }
    }
    const marker = `final-${this.seed}`;
    let proposed = false;
    for (let round = 0; round < 5000; round++) {
      for (const m of this.members) {
        this.finishReady(m);
        this.startReady(m);
        this.finishReady(m);
      }
      while (this.inFlight.length > 0) {
        const msg = this.inFlight.shift()!;
        this.members[msg.to - 1]!.node.step(msg);
      }
      if (round % 3 === 0) for (const m of this.members) m.node.tick();
      const leader = this.members.find((m) => m.node.raft.state === StateRole.Leader);
      if (leader && !proposed) {
        leader.node.propose(new TextEncoder().encode(marker));
        proposed = true;
      }
      this.check();
      const markerKey = [...this.applied.values()].find((k) => k.endsWith(Buffer.from(marker).toString('hex')));
      if (markerKey && this.members.every((m) => m.appliedIndex >= Math.max(...this.applied.keys()))) return;
    }
    throw new Violation('the cluster did not converge after healing');
  }
}

const SEEDS = 30;

describe('safety invariants under randomized faults', () => {
  for (const size of [3, 5]) {
    it(`${size} members: election safety, log matching, leader append-only, leader completeness, state machine safety`, () => {
      let elections = 0;
      let commits = 0;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const run = new RandomRun(size, seed);
        try {
          for (let i = 0; i < 3000; i++) run.step();
          run.settle();
        } catch (e) {
          throw new Error(`seed ${seed}: ${(e as Error).message}`);
        }
        elections += Math.max(...run.members.map((m) => m.node.raft.term));
        commits += Math.max(...run.members.map((m) => m.appliedIndex));
      }
      // The runs must actually exercise elections and commits.
      expect(elections).toBeGreaterThan(SEEDS * 2);
      expect(commits).toBeGreaterThan(SEEDS * 50);
    });
  }

  it('the checker catches a violation (a leader that overwrites committed entries)', () => {
    const run = new RandomRun(3, 99);
    for (let i = 0; i < 3000; i++) run.step();
    run.settle();
    const victim = run.members[0]!;
    // Replace a committed entry behind the core's back.
    const idx = victim.node.raft.raftLog.committed;
    const stored = (victim.storage as unknown as { ents: Entry[] }).ents;
    const pos = idx - stored[0]!.index;
    stored[pos] = { ...stored[pos]!, data: new TextEncoder().encode('tampered') };
    expect(() => run.check()).toThrow(/committed entry \d+ changed/);
  });
});
