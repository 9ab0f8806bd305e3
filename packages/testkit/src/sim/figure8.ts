import type { FaultContext } from './faults.js';

type Step = 'idle' | 'armed' | 'await-second-leader' | 'await-first-back' | 'await-acks' | 'await-third-leader';

/**
 * The shape of the Raft paper's Figure 8, as a fault sequence: leader churn
 * right after replication to a minority, then new leaders in turn.
 *
 * 1. The moment a leader L1 has appended entries that only a minority
 *    holds (itself, or itself and one follower F of five), it is cut off
 *    with that minority, messages in flight included: the entries (L1's
 *    tail) stay there.
 * 2. The others elect L2, which appends its first entry (at the same index
 *    as the tail, of a later term) and is cut off at once.
 * 3. L1 returns with just enough followers X (F among them) for a majority
 *    and campaigns. Elected in a later term T, it appends its own first
 *    entry and sends the followers its old tail. A follower that holds the
 *    tail and nothing after it stops hearing from L1 (one way: its
 *    acknowledgement still gets through); once all of X acknowledged the
 *    tail, L1 is cut off entirely, messages in flight included.
 * 4. L2 returns and campaigns; members that did not yet receive L1's entry
 *    of term T vote for it (its last entry's term is above the tail's).
 *
 * A correct leader never committed the tail in step 3: only entries of its
 * own term count (§5.4.2), and its own entry had not reached a majority.
 * So L2 may win in step 4 and replace the tail, as it does in the paper. A
 * leader that commits by counting replicas (`--break figure-8`) committed
 * it, and L2 then leads without a committed entry. The tail reaches the
 * followers without L1's entry of term T only when it travels in messages
 * of its own: when entries go one per message (runs draw the message size)
 * or the tail is long. Timings and members are drawn from the seed; a step
 * that does not happen in time ends the sequence (healing the network), so
 * it is ordinary churn when it does not line up.
 */
export class Figure8Sequence<I, O, D> {
  private step: Step = 'idle';
  private first = 0;
  private second = 0;
  private followers: number[] = [];
  /** The last index of the first leader's old tail. */
  private tail = 0;
  /** Bumped by every step, so a stale timeout does nothing. */
  private generation = 0;

  constructor(private readonly c: FaultContext<I, O, D>) {}

  /** True while the sequence runs (other churn then stays out of its way). */
  get active(): boolean {
    return this.step !== 'idle' && this.step !== 'armed';
  }

  /**
   * Arms the sequence: it starts the moment a leader has appended entries
   * that only a minority holds (itself, or itself and one follower of five),
   * within the next second.
   */
  start(): void {
    if (this.step !== 'idle') return;
    this.advance('armed', 1000);
  }

  /** Cuts the leader off with the minority that holds its newest entries, if there is such a moment now. */
  private maybeBegin(): void {
    const { cluster, network, trace } = this.c;
    const leader = cluster.leader();
    if (!leader) return;
    const trk = leader.node.raw.raft.trk;
    const voters = trk.voterIds();
    if (trk.config.voters.isJoint || voters.length < 3) return;
    const last = leader.node.raw.raft.raftLog.lastIndex();
    const holders = voters.filter((id) => id !== leader.id && (cluster.get(id)?.node.raw.raft.raftLog.lastIndex() ?? 0) >= last);
    const side = [leader.id, ...holders];
    if (side.length * 2 >= voters.length || side.length > 2) return;
    this.first = leader.id;
    this.followers = holders;
    trace.add(`fault: figure-8 sequence: cut off leader ${side.join(' with ')}, holding entries through ${last} the others lack`);
    network.heal();
    network.partition([side, cluster.all().map((m) => m.id).filter((id) => !side.includes(id))]);
    this.advance('await-second-leader', 800);
  }

  /** Told of every new leader: moves the sequence on. */
  onNewLeader(id: number): void {
    if (this.step === 'await-second-leader' && id !== this.first) this.secondLeader(id);
    else if (this.step === 'await-first-back' && id === this.first) this.firstLeaderBack();
    else if (this.step === 'await-third-leader' && id !== this.first) this.end(`leader ${id} elected`);
  }

  private secondLeader(id: number): void {
    const { cluster, network, rng, trace } = this.c;
    const voters = cluster.get(id)?.node.raw.raft.trk.voterIds() ?? [];
    const majority = Math.floor(voters.length / 2) + 1;
    const rest = voters.filter((v) => v !== this.first && v !== id && !this.followers.includes(v));
    const more = majority - 1 - this.followers.length;
    if (more < 0 || rest.length < more) return this.end('too few members');
    this.second = id;
    this.followers = [...this.followers, ...[...rest].sort(() => rng.float() - 0.5).slice(0, more)];
    const bystanders = cluster
      .all()
      .map((m) => m.id)
      .filter((v) => v !== this.first && v !== id && !this.followers.includes(v));
    trace.add(`fault: figure-8 sequence: cut off new leader ${id}; ${this.first} returns with ${this.followers.join(',')}`);
    network.heal();
    network.partition([[this.first, ...this.followers], [id], bystanders].filter((g) => g.length > 0));
    this.advance('await-first-back', 800);
    this.campaignUntil(this.first, 'await-first-back');
  }

  private firstLeaderBack(): void {
    const m = this.c.cluster.get(this.first);
    if (!m?.up) return this.end('first leader gone');
    // Its own first entry is the last; the tail ends just before it.
    this.tail = m.node.raw.raft.raftLog.lastIndex() - 1;
    this.advance('await-acks', 60);
  }

  /**
   * Called after every step: starts the sequence when armed; and in step 3
   * cuts each follower off from the first leader the moment it holds the
   * whole tail and nothing after it (the leader's own entry would follow),
   * while its acknowledgement still travels back; then, once every
   * follower's acknowledgement arrived, cuts the first leader off entirely.
   */
  afterStep(): void {
    if (this.step === 'armed') return this.maybeBegin();
    if (this.step !== 'await-acks') return;
    const { cluster, network } = this.c;
    const m = cluster.get(this.first);
    if (!m?.up) return this.end('first leader gone');
    const tailTerm = m.node.raw.raft.raftLog.termOrZero(this.tail);
    for (const id of this.followers) {
      const log = cluster.get(id)?.node.raw.raft.raftLog;
      if (log && log.lastIndex() === this.tail && log.termOrZero(this.tail) === tailTerm) network.block(this.first, id);
    }
    const progress = m.node.raw.raft.trk.progress;
    if (this.followers.every((id) => (progress.get(id)?.match ?? 0) >= this.tail)) this.cutFirstOff();
  }

  private cutFirstOff(): void {
    const { cluster, network, trace } = this.c;
    trace.add(`fault: figure-8 sequence: cut off leader ${this.first} once ${this.followers.join(',')} hold its tail through ${this.tail} (its commit index: ${this.c.cluster.get(this.first)?.node.raw.raft.raftLog.committed})`);
    this.c.counts.count('leader-churn', 'figure-8');
    // Partitions act at delivery: what it still has in flight is cut too.
    network.heal();
    network.partition([[this.first], cluster.all().map((m) => m.id).filter((id) => id !== this.first)]);
    this.advance('await-third-leader', 500);
    this.campaignUntil(this.second, 'await-third-leader');
  }

  /** Makes `id` campaign now and every 15 ms while the sequence waits in `step` (its election timer firing early). */
  private campaignUntil(id: number, step: Step): void {
    const gen = this.generation;
    const tick = (): void => {
      if (this.step !== step || gen !== this.generation) return;
      const m = this.c.cluster.get(id);
      if (m?.up && !m.removed) m.node.campaign();
      this.c.clock.setTimer(15, tick);
    };
    tick();
  }

  private advance(step: Step, timeoutMs: number): void {
    this.step = step;
    const gen = ++this.generation;
    this.c.clock.setTimer(timeoutMs, () => {
      if (gen !== this.generation) return;
      // Followers that never caught up: go on anyway.
      if (step === 'await-acks') this.cutFirstOff();
      else this.end(step === 'armed' ? 'no leader ahead of a majority' : `timed out waiting (${step})`);
    });
  }

  private end(why: string): void {
    this.c.trace.add(`fault: figure-8 sequence ends: ${why}`);
    this.step = 'idle';
    this.generation++;
    this.c.network.heal();
  }
}
