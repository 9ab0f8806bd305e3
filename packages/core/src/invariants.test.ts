/**
 * Raft's safety properties (paper, Figure 3) checked after every event of
 * randomized runs: messages delayed, reordered, dropped and duplicated,
 * partitions, crashes between ready() and persistence, restarts, and client
 * proposals on random members; with churn also membership changes (single
 * and joint, of voters and learners, the leader included) and snapshots
 * with log compaction on random members. The full adversary lives in
 * @raftkit/testkit; this is the core's own guard.
 */
import { describe, expect, it } from 'vitest';
import { decodeConfChange } from './confchange/codec.js';
import { type ConfChangeSingle, ConfChangeTransition, ConfChangeType } from './confchange/types.js';
import { type RandomSource, seededRandom } from './random.js';
import { RawNode, type Ready, SnapshotStatus } from './raw-node.js';
import { MemoryStorage, usableSnapshotIndex } from './storage.js';
import { TestCluster } from './test-support/cluster.js';
import { type ConfState, type Entry, EntryType, type Message, MessageType, StateRole } from './types.js';

interface Member {
  id: number;
  node: RawNode;
  storage: MemoryStorage;
  pending: Ready | undefined;
  appliedIndex: number;
  /** A digest of the state machine: every entry applied so far, chained. */
  digest: string;
  up: boolean;
}

interface RunOptions {
  /** Members that found the cluster as voters (the others start empty, outside it). Default: all. */
  founders?: number;
  /**
   * The share of events that propose a membership change or take a snapshot
   * (compacting the log) on a random member, taken from client proposals.
   * Default 0: none.
   */
  churn?: number;
}

class Violation extends Error {}

const keyCache = new WeakMap<Entry, string>();

/** Chains one applied entry into a state-machine digest (FNV-1a, 32 bits). */
function chain(digest: string, key: string): string {
  let h = 0x811c9dc5;
  for (const ch of digest + '|' + key) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16);
}

function describeConfState(cs: ConfState): string {
  return JSON.stringify(cs);
}

function entryKey(e: Entry): string {
  let k = keyCache.get(e);
  if (k === undefined) {
    k = `${e.term}:${e.type}:${Buffer.from(e.data).toString('hex')}`;
    keyCache.set(e, k);
  }
  return k;
}

/** What the safety checker sees of a member. */
interface ObservedMember {
  id: number;
  node: RawNode;
  up: boolean;
}

/** A member's log as entry keys by index; compacted entries are holes, and the length says where the log ends. */
function logKeys(node: RawNode): string[] {
  const log = node.raft.raftLog;
  const out: string[] = [];
  const first = log.firstIndex();
  const last = log.lastIndex();
  if (last >= first) {
    const ents = log.slice(first, last + 1, Number.MAX_SAFE_INTEGER);
    for (const e of ents) out[e.index] = entryKey(e);
  }
  out.length = last + 1;
  return out;
}

/**
 * Raft's safety properties over the live members, checked after every
 * event: election safety, leader append-only, leader completeness, log
 * matching, and committed entries that never change.
 */
class SafetyChecker {
  private leaders = new Map<number, number>(); // term -> leader
  private leaderLogs = new Map<string, string[]>(); // "id@term" -> log keys
  private committed = new Map<number, string>(); // index -> entry key
  /**
   * index -> the term in which the entry was first seen committed: the
   * committing leader's term (the check runs after every event, so the
   * leader that commits an entry is the first to show it committed).
   */
  private commitTerms = new Map<number, number>();

  check(members: readonly ObservedMember[]): void {
    const logs = new Map<number, string[]>();
    for (const m of members) {
      if (!m.up) continue;
      const r = m.node.raft;
      const log = logKeys(m.node);
      logs.set(m.id, log);
      // Committed entries never change and exist in the committer's log.
      for (let i = 1; i <= r.raftLog.committed; i++) {
        const k = log[i];
        if (k === undefined) continue;
        const prev = this.committed.get(i);
        if (prev !== undefined && prev !== k) throw new Violation(`committed entry ${i} changed from ${prev} to ${k} on ${m.id}`);
        this.committed.set(i, k);
        if (!this.commitTerms.has(i)) this.commitTerms.set(i, r.term);
      }
      if (r.state !== StateRole.Leader) continue;
      // Election safety: at most one leader per term.
      const other = this.leaders.get(r.term);
      if (other !== undefined && other !== m.id) throw new Violation(`two leaders in term ${r.term}: ${other} and ${m.id}`);
      this.leaders.set(r.term, m.id);
      // Leader completeness (§5.4): a leader holds every entry committed in
      // an earlier term. Not those committed in its own term or later: a
      // candidate counts its own vote only once it is durable, so it may take
      // office late, after the others moved on to a later term and committed
      // more; such a stale leader can commit nothing.
      for (const [i, k] of this.committed) {
        if ((this.commitTerms.get(i) ?? 0) >= r.term) continue;
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
        if (log.length < before.length) throw new Violation(`leader ${m.id} truncated its log in term ${r.term} (last index ${before.length - 1} -> ${log.length - 1})`);
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
}

class RandomRun {
  readonly members: Member[] = [];
  private inFlight: Message[] = [];
  private cut = new Set<string>();
  private readonly random: RandomSource;
  /** Election safety, log matching, leader append-only and completeness, committed entries never change. */
  readonly checker = new SafetyChecker();
  private applied = new Map<number, string>();
  /** index -> state-machine digest after applying through it. */
  private digests = new Map<number, string>();
  /** index of a conf change -> the membership after applying it. */
  readonly confs = new Map<number, string>();
  private proposals = 0;
  /** Snapshots taken and installed, for the run's own sanity check. */
  readonly churned = { snapshots: 0, installs: 0 };
  private readonly churn: number;
  /** Most members down at once: a minority of the founding voters. */
  private readonly maxDown: number;

  constructor(
    readonly size: number,
    readonly seed: number,
    opts: RunOptions = {},
  ) {
    this.random = seededRandom(seed);
    this.churn = opts.churn ?? 0;
    const founders = Array.from({ length: opts.founders ?? size }, (_, i) => i + 1);
    this.maxDown = Math.floor((founders.length - 1) / 2);
    for (let id = 1; id <= size; id++) {
      // Founding members start with the bootstrap snapshot at index 1 applied;
      // the others join later, from empty storage.
      const founder = founders.includes(id);
      const storage = founder ? MemoryStorage.withMembers(founders) : new MemoryStorage();
      const applied = founder ? 1 : 0;
      this.members.push({ id, node: this.newNode(id, storage, applied), storage, pending: undefined, appliedIndex: applied, digest: '', up: true });
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
      // With churn, keep almost no log behind a snapshot so followers need them.
      ...(this.churn > 0 ? { logTailAfterSnapshot: id % 3 } : {}),
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
    else if (r < 0.97) {
      if (r >= 0.97 - this.churn) this.churnOnce();
      else this.propose(this.pick(live));
    }
    else if (r < 0.985) this.partitionOrHeal();
    else this.crashOrRestart();
    this.check();
  }

  private deliver(): void {
    const i = Math.floor(this.random() * Math.min(this.inFlight.length, 4));
    const [m] = this.inFlight.splice(i, 1);
    if (!m) return;
    const to = this.members[m.to - 1]!;
    if (!to.up || this.cut.has(`${m.from}-${m.to}`)) return this.reportSnapshot(m, SnapshotStatus.Failure);
    if (this.random() < 0.05) return this.reportSnapshot(m, SnapshotStatus.Failure); // lost
    if (this.random() < 0.05) this.inFlight.push(m); // duplicated later
    to.node.step(m);
    this.reportSnapshot(m, SnapshotStatus.Finish);
  }

  /** Tells the sender of a snapshot how sending it ended, as a transport does (RawNode.reportSnapshot). */
  private reportSnapshot(m: Message, status: SnapshotStatus): void {
    const from = this.members[m.from - 1]!;
    if (m.type === MessageType.Snap && from.up) from.node.reportSnapshot(m.to, status);
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
    if (rd.compactTo !== undefined && rd.compactTo >= m.storage.firstIndex()) m.storage.compact(rd.compactTo);
    this.send(rd.messagesAfterPersist);
    if (rd.snapshot) {
      // The state machine is replaced by the snapshot's.
      const { index } = rd.snapshot.metadata;
      if (index <= m.appliedIndex) throw new Violation(`member ${m.id} installed snapshot ${index} at applied ${m.appliedIndex}`);
      m.appliedIndex = index;
      m.digest = new TextDecoder().decode(rd.snapshot.data);
      this.checkDigest(m, index);
      this.churned.installs++;
    }
    for (const e of rd.committedEntries) {
      const k = entryKey(e);
      const prev = this.applied.get(e.index);
      if (prev !== undefined && prev !== k) throw new Violation(`state machine safety: index ${e.index} applied as ${prev} and ${k}`);
      this.applied.set(e.index, k);
      if (e.index !== m.appliedIndex + 1) throw new Violation(`member ${m.id} applied ${e.index} after ${m.appliedIndex}`);
      m.appliedIndex = e.index;
      m.digest = chain(m.digest, k);
      this.checkDigest(m, e.index);
      if (e.type === EntryType.ConfChange) {
        const cs = m.node.applyConfChange(decodeConfChange(e.data));
        m.storage.setConfState(cs);
        // Every member that applies a change ends in the same membership.
        const d = describeConfState(cs);
        const other = this.confs.get(e.index);
        if (other !== undefined && other !== d) throw new Violation(`membership after ${e.index}: ${other} and, on ${m.id}, ${d}`);
        this.confs.set(e.index, d);
      }
    }
    m.node.advance();
    if (rd.snapshotRequested) this.takeSnapshot(m);
  }

  /** State machine safety across snapshots: members that applied through `index` have the same state. */
  private checkDigest(m: Member, index: number): void {
    const other = this.digests.get(index);
    if (other !== undefined && other !== m.digest) throw new Violation(`state machine of ${m.id} at ${index} differs (${m.digest} vs ${other})`);
    this.digests.set(index, m.digest);
  }

  /** `m` snapshots its state machine at its applied index and reports it, as an application does. */
  private takeSnapshot(m: Member): void {
    if (m.pending || m.appliedIndex <= usableSnapshotIndex(m.storage)) return;
    m.storage.createSnapshot(m.appliedIndex, m.node.raft.trk.confState(), new TextEncoder().encode(m.digest));
    m.node.reportSnapshotTaken(m.appliedIndex);
    this.churned.snapshots++;
  }

  /** A snapshot on a random member, or a membership change proposed to the leader. */
  private churnOnce(): void {
    const live = this.members.filter((m) => m.up);
    if (this.random() < 0.4) {
      this.takeSnapshot(this.pick(live));
      return;
    }
    const leader = this.currentLeader();
    if (!leader) return;
    const cfg = leader.node.raft.trk.config;
    const voters = [...cfg.voters.incoming.ids];
    const learners = [...cfg.learners];
    const outside = this.members.map((x) => x.id).filter((id) => !voters.includes(id) && !learners.includes(id));
    const options: ConfChangeSingle[] = [];
    for (const id of [...outside, ...learners]) options.push({ type: ConfChangeType.AddVoter, nodeId: id });
    for (const id of outside) options.push({ type: ConfChangeType.AddLearner, nodeId: id });
    for (const id of learners) options.push({ type: ConfChangeType.RemoveNode, nodeId: id });
    // Keep at least two voters; the leader may remove itself.
    if (voters.length > 2) for (const id of voters) options.push({ type: ConfChangeType.RemoveNode, nodeId: id });
    if (options.length === 0) return;
    const changes = [this.pick(options)];
    let transition = ConfChangeTransition.Auto;
    // Sometimes swap a voter for another through a joint configuration.
    const add = changes[0]!;
    if (this.random() < 0.3 && add.type === ConfChangeType.AddVoter && voters.length > 2) {
      changes.push({ type: ConfChangeType.RemoveNode, nodeId: this.pick(voters) });
      transition = ConfChangeTransition.JointImplicit;
    }
    try {
      leader.node.proposeConfChange({ transition, changes, context: new Uint8Array() });
    } catch {
      // Another change is pending, or the configuration is joint: try later.
    }
  }

  /** The live leader of the highest term, if any. */
  private currentLeader(): Member | undefined {
    let best: Member | undefined;
    for (const m of this.members) {
      if (!m.up || m.node.raft.state !== StateRole.Leader) continue;
      if (!best || m.node.raft.term > best.node.raft.term) best = m;
    }
    return best;
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
    if (down.length >= this.maxDown) return;
    const m = this.pick(this.members.filter((x) => x.up));
    // Whatever was handed out but not persisted is lost with the process.
    m.pending = undefined;
    m.up = false;
    for (const x of this.inFlight) if (x.to === m.id) this.reportSnapshot(x, SnapshotStatus.Failure);
    this.inFlight = this.inFlight.filter((x) => x.to !== m.id);
  }

  check(): void {
    this.checker.check(this.members);
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
    const markerHex = Buffer.from(marker).toString('hex');
    let proposedAt = -Infinity;
    for (let round = 0; round < 5000; round++) {
      for (const m of this.members) {
        this.finishReady(m);
        this.startReady(m);
        this.finishReady(m);
      }
      while (this.inFlight.length > 0) {
        const msg = this.inFlight.shift()!;
        this.members[msg.to - 1]!.node.step(msg);
        this.reportSnapshot(msg, SnapshotStatus.Finish);
      }
      if (round % 3 === 0) for (const m of this.members) m.node.tick();
      this.check();
      const markerApplied = [...this.applied.values()].some((k) => k.endsWith(markerHex));
      const leader = this.currentLeader();
      // (Re)propose the marker until it is applied: a proposal to a leader
      // that is then deposed, or removed, may be lost.
      if (leader && !markerApplied && round - proposedAt > 300) {
        try {
          leader.node.propose(new TextEncoder().encode(marker));
          proposedAt = round;
        } catch {
          // Not accepted now (a transfer, a limit): try again next round.
        }
      }
      if (!markerApplied || !leader) continue;
      // Every member of the final configuration has applied everything.
      const cs = leader.node.raft.trk.confState();
      const inConfig = this.members.filter((m) => [...cs.voters, ...cs.votersOutgoing, ...cs.learners].includes(m.id));
      const last = Math.max(...this.applied.keys());
      if (inConfig.every((m) => m.appliedIndex >= last)) return;
    }
    const states = this.members.map((m) => {
      const r = m.node.raft;
      return `${m.id}: ${r.state} term ${r.term} applied ${m.appliedIndex} voters ${r.trk.voterIds().join(',')} learners ${r.trk.learnerIds().join(',')}`;
    });
    throw new Violation(`the cluster did not converge after healing (${states.join('; ')})`);
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

  // Membership changes and snapshots. The first runs found a candidate
  // elected before its own vote was durable; the second, a snapshot's
  // membership applied before the changes in entries before it.
  const churnRuns = [
    { what: '5 members, 3 of them founders', size: 5, founders: 3, churn: 0.025, seeds: 20 },
    { what: 'grown from 1 member to 4, heavy churn', size: 4, founders: 1, churn: 0.11, seeds: 30 },
  ];
  for (const { what, size, founders, churn, seeds } of churnRuns) {
    it(`with membership changes and snapshots, ${what}: voters and learners added and removed (the leader too, also jointly), logs compacted`, () => {
      const total = { confChanges: 0, snapshots: 0, installs: 0, commits: 0 };
      for (let seed = 1; seed <= seeds; seed++) {
        const run = new RandomRun(size, seed, { founders, churn });
        try {
          for (let i = 0; i < 6000; i++) run.step();
          run.settle();
        } catch (e) {
          throw new Error(`seed ${seed}: ${(e as Error).message}`);
        }
        total.confChanges += run.confs.size;
        total.snapshots += run.churned.snapshots;
        total.installs += run.churned.installs;
        total.commits += Math.max(...run.members.map((m) => m.appliedIndex));
      }
      // The runs must actually change membership (changes applied, counting
      // automatic leaves of joint configurations), snapshot, install
      // snapshots and commit.
      expect(total.confChanges).toBeGreaterThan(seeds * 2);
      expect(total.snapshots).toBeGreaterThan(seeds * 3);
      expect(total.installs).toBeGreaterThan(seeds);
      expect(total.commits).toBeGreaterThan(seeds * 20);
    });
  }

  it('owes leader completeness to leaders of later terms only: a candidate that takes office late, in an older term, lacks what was committed after it', () => {
    const c = new TestCluster([1, 2, 3]);
    const checker = new SafetyChecker();
    const observe = () => checker.check([...c.members.values()].map((h) => ({ id: h.id, node: h.node, up: !c.isDown(h.id) })));
    c.elect(2);
    c.propose(2, 'a');
    observe();
    // 1 campaigns in term 3. Its vote requests leave at once; its own vote
    // counts only once durable, and its disk is slow.
    c.node(1).campaign();
    const slow = c.takeReady(1);
    const term = c.node(1).raft.term;
    for (const m of slow.messages) c.node(m.to).step(m);
    c.stabilize();
    observe();
    expect(c.node(1).raft.state).toBe(StateRole.Candidate);
    // 2 and 3 granted it, then lose touch with it and move on to term 4, where 2 commits 'b'.
    c.isolate(1);
    while (c.leader() !== 2 || c.node(2).raft.term === term) {
      c.tick(2);
      observe();
    }
    c.propose(2, 'b');
    observe();
    const b = c.node(2).raft.raftLog.committed;
    expect(c.appliedData(3)).toEqual(['a', 'b']);
    // 1's self-vote becomes durable: it leads term 3, without 'b'.
    c.finishReady(1, slow);
    expect(c.node(1).raft.state).toBe(StateRole.Leader);
    expect(c.node(1).raft.term).toBe(term);
    expect(c.node(2).raft.term).toBeGreaterThan(term);
    expect(c.node(1).raft.raftLog.lastIndex()).toBeLessThan(b);
    // Nothing was violated: 'b' was committed in a later term.
    expect(() => observe()).not.toThrow();
    c.heal();
    c.tickAll(3);
    observe();
    expect(c.leader()).toBe(2);
    expect(c.appliedData(1)).toEqual(['a', 'b']);
  });

  it('catches a leader that lacks an entry committed in an earlier term', () => {
    const c = new TestCluster([1, 2, 3]);
    const checker = new SafetyChecker();
    const observe = () => checker.check([...c.members.values()].map((h) => ({ id: h.id, node: h.node, up: !c.isDown(h.id) })));
    c.elect(1);
    // 'a' commits in term 2; 2 holds it but never learns it is committed.
    const hideCommit = c.drop((m) => m.to === 2 && m.from === 1 && m.entries.length === 0);
    c.propose(1, 'a');
    observe();
    const a = c.node(1).raft.raftLog.committed;
    expect(c.node(2).raft.raftLog.committed).toBeLessThan(a);
    // 1 dies; 2 wins term 3 and has committed nothing of its own yet.
    c.crash(1);
    hideCommit();
    const holdAppends = c.drop((m) => m.type === MessageType.App);
    c.elect(2);
    expect(c.leader()).toBe(2);
    expect(c.node(2).raft.raftLog.committed).toBeLessThan(a);
    observe();
    // Behind the core's back, 2's copy of 'a' is replaced.
    const stored = (c.member(2).storage as unknown as { ents: Entry[] }).ents;
    const pos = a - stored[0]!.index;
    stored[pos] = { ...stored[pos]!, data: new TextEncoder().encode('tampered') };
    expect(() => observe()).toThrow(`leader 2 (term 3) lacks committed entry ${a}`);
    holdAppends();
  });

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
