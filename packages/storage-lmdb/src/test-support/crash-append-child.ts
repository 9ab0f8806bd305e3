/**
 * Crash test fixture: appends (sometimes truncating the uncommitted tail)
 * and compacts in a loop, announcing each operation with `w <json>` before
 * it starts and `a` once it is durable. The parent kills it at a random
 * moment. Arguments (on stdin): data directory, random seed.
 */
import { emptyConfState, randomInt, seededRandom } from '@raftkit/core';
import { RaftStorage } from '../raft-storage.js';
import { printLine, readFixtureArgs } from './fixture-args.js';
import { type CrashOp, crashEntries } from './crash-model.js';

const [dataDir, seed] = await readFixtureArgs();
const random = seededRandom(Number(seed));
const storage = await RaftStorage.open({ dataDir: dataDir!, compactionBatch: 50 });
let { term, commit } = storage.log.initialState().hardState;
term = Math.max(term, 1);
printLine('ready');

for (;;) {
  const first = storage.log.firstIndex();
  const last = storage.log.lastIndex();
  let op: CrashOp;
  if (random() < 0.92 || Math.min(commit, last - 10) < first) {
    let from = last + 1;
    if (random() < 0.2 && last > commit) from = randomInt(random, commit + 1, last + 1);
    if (from <= last || random() < 0.05) term += 1;
    const to = from + randomInt(random, 0, 64);
    commit = Math.max(commit, to - 20);
    op = { kind: 'append', from, to, term, commit };
  } else {
    op = { kind: 'compact', index: randomInt(random, first, Math.min(commit, last - 10) + 1) };
  }
  printLine(`w ${JSON.stringify(op)}`);
  if (op.kind === 'append') {
    await storage.log.persist({ entries: crashEntries(op), hardState: { term: op.term, vote: 1, commit: op.commit } });
  } else {
    await storage.snapshots.write({ index: op.index, term: storage.log.term(op.index), confState: { ...emptyConfState(), voters: [1] } }, new Uint8Array(0));
    await storage.log.compact(op.index);
  }
  printLine('a');
}
