/**
 * An in-process demonstration of the Raft core: three members exchange
 * messages in memory, elect a leader and commit a few entries, ticking on a
 * real clock. `pnpm --filter node start` runs it.
 */
import { EntryType, MemoryStorage, type Message, RawNode, StateRole } from '@raftkit/core';

/** What the demo observed. */
export interface DemoResult {
  leader: number;
  term: number;
  /** Entries committed and applied on every member, in order. */
  committed: string[];
}

/** Runs the demo; `log` receives one line per event. */
export async function runDemo(options: { tickMs?: number; entries?: string[]; log?: (line: string) => void } = {}): Promise<DemoResult> {
  const tickMs = options.tickMs ?? 20;
  const entries = options.entries ?? ['set x=1', 'set y=2', 'set z=3'];
  const log = options.log ?? (() => {});
  const ids = [1, 2, 3];
  const members = ids.map((id) => {
    const storage = MemoryStorage.withMembers(ids);
    return { id, storage, node: new RawNode({ id, storage, electionTick: 10, heartbeatTick: 1 }), applied: [] as string[] };
  });
  const decoder = new TextDecoder();
  let leader = 0;

  const pump = (): void => {
    for (;;) {
      const outbox: Message[] = [];
      for (const m of members) {
        while (m.node.hasReady()) {
          const rd = m.node.ready();
          if (rd.softState?.role === StateRole.Leader) {
            leader = m.id;
            log(`member ${m.id} became leader in term ${m.node.raft.term}`);
          }
          outbox.push(...rd.messages);
          m.storage.append(rd.entries);
          if (rd.hardState) m.storage.setHardState(rd.hardState);
          outbox.push(...rd.messagesAfterPersist);
          for (const e of rd.committedEntries) {
            if (e.type !== EntryType.Normal || e.data.length === 0) continue;
            m.applied.push(decoder.decode(e.data));
            log(`member ${m.id} applied entry ${e.index}: ${decoder.decode(e.data)}`);
          }
          m.node.advance();
        }
      }
      if (outbox.length === 0) return;
      for (const msg of outbox) members[msg.to - 1]!.node.step(msg);
    }
  };

  log('three members start as followers; the first whose election timeout expires campaigns');
  while (leader === 0) {
    for (const m of members) m.node.tick();
    pump();
    await new Promise((r) => setTimeout(r, tickMs));
  }
  const encoder = new TextEncoder();
  for (const e of entries) {
    members[leader - 1]!.node.propose(encoder.encode(e));
    pump();
  }
  while (members.some((m) => m.applied.length < entries.length)) {
    for (const m of members) m.node.tick();
    pump();
    await new Promise((r) => setTimeout(r, tickMs));
  }
  return { leader, term: members[leader - 1]!.node.raft.term, committed: members[0]!.applied };
}
