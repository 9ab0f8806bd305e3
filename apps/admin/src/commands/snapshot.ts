/** `raftctl snapshot take | save FILE` and `raftctl compact`: snapshots and the Raft log. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { adminv1 } from '@raftkit/proto';
import { usageError } from '../cli/errors.js';
import { withExamples } from '../cli/help.js';
import { intIn } from '../cli/numbers.js';
import { printJson, printNote, printText } from '../cli/output.js';
import { type Session, runSession } from '../cli/session.js';
import { eachFailure, memberEndpoints, onEach } from '../cluster/each.js';
import { renderTable } from '../format/table.js';
import { formatBytes } from '../format/units.js';
import { progressBar } from '../format/progress.js';
import { saveSnapshot } from '../snapshot/save.js';

async function take(s: Session, cluster: boolean): Promise<void> {
  const endpoints = await memberEndpoints(s, cluster);
  const results = await onEach(endpoints, (e) => s.conns.admin<adminv1.TakeSnapshotResponse>(e, (c, md, o, cb) => c.takeSnapshot({}, md, o, cb)));
  if (s.globals.json) {
    printJson(results.map((r) => ({ endpoint: r.endpoint.address, ...(r.value ? { index: r.value.index, term: r.value.term, sizeBytes: r.value.sizeBytes } : { error: r.error?.message }) })));
  } else {
    printText(
      renderTable(
        [
          { header: 'ENDPOINT', cell: (r) => r.endpoint.address },
          { header: 'INDEX', cell: (r) => (r.value ? String(r.value.index) : '-'), right: true },
          { header: 'TERM', cell: (r) => (r.value ? String(r.value.term) : '-'), right: true },
          { header: 'SIZE', cell: (r) => (r.value ? formatBytes(r.value.sizeBytes) : '-'), right: true },
          { header: 'RESULT', cell: (r) => (r.error ? `failed: ${r.error.message}` : 'ok') },
        ],
        results,
      ),
    );
  }
  const failure = eachFailure(results);
  if (failure) throw failure;
}

async function save(s: Session, file: string): Promise<void> {
  if (s.globals.endpoints.length !== 1) {
    throw usageError(`snapshot save reads from one member, but --endpoints lists ${s.globals.endpoints.length}`, 'Pass the one member to save from, e.g. --endpoints 127.0.0.1:2379.');
  }
  const endpoint = s.globals.endpoints[0]!;
  const bar = progressBar('snapshot [{bar}] {percentage}% | {done} of {size} | ETA {eta_formatted}', !s.globals.json);
  let total = 0;
  const saved = await saveSnapshot(s.conns, endpoint, resolve(file), s.globals.timeoutMs, {
    start: (bytes) => {
      total = bytes;
      bar.start(bytes, { done: formatBytes(0), size: formatBytes(bytes) });
    },
    update: (bytes) => bar.update(bytes, { done: formatBytes(bytes), size: formatBytes(total) }),
  }).finally(() => bar.stop());
  if (s.globals.json) {
    printJson({ ...saved, file, endpoint: endpoint.address });
    return;
  }
  printText(`Saved the snapshot at index ${saved.index} (term ${saved.term}) of ${endpoint.address} to ${file}: ${formatBytes(saved.sizeBytes)}, SHA-256 ${saved.sha256}.`);
}

async function compact(s: Session, index: number, cluster: boolean): Promise<void> {
  const endpoints = await memberEndpoints(s, cluster);
  const results = await onEach(endpoints, (e) => s.conns.admin<adminv1.CompactResponse>(e, (c, md, o, cb) => c.compact({ index }, md, o, cb)));
  if (s.globals.json) {
    printJson(results.map((r) => ({ endpoint: r.endpoint.address, ...(r.value ? { firstIndex: r.value.firstIndex } : { error: r.error?.message }) })));
  } else {
    printText(
      renderTable(
        [
          { header: 'ENDPOINT', cell: (r) => r.endpoint.address },
          { header: 'FIRST INDEX', cell: (r) => (r.value ? String(r.value.firstIndex) : '-'), right: true },
          { header: 'RESULT', cell: (r) => (r.error ? `failed: ${r.error.message}` : 'ok') },
        ],
        results,
      ),
    );
  }
  const failure = eachFailure(results);
  if (failure) {
    // The member discards only what it has applied (its key-value state lives beside the log, so no snapshot is needed).
    if (/entries are applied on this member/.test(failure.message)) {
      printNote('A member discards only log entries it has applied: leave out --index (all it has applied), or give at most its APPLIED index in raftctl status.');
    }
    throw failure;
  }
}

/** Registers `snapshot` and `compact`. */
export function registerSnapshot(program: Command): void {
  const snapshot = program.command('snapshot').description('take snapshots, and save one to a file for backup');
  withExamples(snapshot, ['raftctl snapshot take --cluster', 'raftctl snapshot save backup.snap']);

  const takeCmd = snapshot
    .command('take')
    .description('make each endpoint snapshot its state machine now')
    .option('--cluster', 'every member of the cluster, not only --endpoints')
    .action((o: { cluster?: boolean }, c: Command) => runSession(c, (s) => take(s, o.cluster === true)));
  withExamples(takeCmd, ['raftctl snapshot take', 'raftctl snapshot take --cluster --json']);

  const saveCmd = snapshot
    .command('save')
    .description("stream a member's latest snapshot into FILE, with a progress bar, checking its SHA-256")
    .argument('<file>', 'where to write it (replaced if it exists; written only once complete and verified)')
    .addHelpText('after', '\nNeeds exactly one endpoint. --timeout is how long the stream may stall.')
    .action((file: string, _o: unknown, c: Command) => runSession(c, (s) => save(s, file)));
  withExamples(saveCmd, ['raftctl --endpoints 10.0.0.1:2379 snapshot save backup.snap', 'raftctl snapshot save /backups/$(date +%F).snap --json']);

  const compactCmd = program
    .command('compact')
    .description("discard each endpoint's Raft log up to an index it has applied")
    .option('--index <n>', 'the last index to discard (default: the applied index)', intIn('--index', 0), 0)
    .option('--cluster', 'every member of the cluster, not only --endpoints')
    .addHelpText(
      'after',
      "\nThis compacts the replicated log, not the key-value history ('raftctl kv' / etcdctl compact do that).\nA follower that later needs discarded entries is sent a snapshot, built when it is needed.",
    )
    .action((o: { index: number; cluster?: boolean }, c: Command) => runSession(c, (s) => compact(s, o.index, o.cluster === true)));
  withExamples(compactCmd, ['raftctl compact', 'raftctl compact --cluster', 'raftctl compact --index 12000']);
}
