/**
 * Streams a member's latest snapshot into a file: frames arrive as info,
 * chunks, then the SHA-256 of every chunk byte. The file is written under a
 * temporary name and renamed only once the digest matches, so FILE is
 * either a complete, verified snapshot or absent.
 */
import { createHash } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { adminv1 } from '@raftkit/proto';
import { CliError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import { formatDuration } from '../cli/duration.js';
import type { Connections } from '../grpc/connections.js';
import type { Endpoint } from '../grpc/endpoints.js';
import { rpcError } from '../grpc/rpc-errors.js';

/** A saved snapshot. */
export interface SavedSnapshot {
  file: string;
  index: number;
  term: number;
  sizeBytes: number;
  sha256: string;
}

/** Progress callbacks: the total once known, then bytes received so far. */
export interface SaveProgress {
  start(totalBytes: number): void;
  update(receivedBytes: number): void;
}

/**
 * Saves the snapshot of `endpoint` to `file`. The stream may pause as long
 * as `idleMs` between two frames before it is abandoned.
 *
 * @throws CliError exit 1 when the digest does not match, 3 when the member stops sending, 5 when the file cannot be written
 */
export async function saveSnapshot(conns: Connections, endpoint: Endpoint, file: string, idleMs: number, progress: SaveProgress): Promise<SavedSnapshot> {
  const part = `${file}.part`;
  const out = createWriteStream(part, { flags: 'w' });
  await once(out, 'open');
  const call = conns.adminClient(endpoint).saveSnapshot({}, conns.metadata());
  let idle = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      idle = true;
      call.cancel();
    }, idleMs);
  };
  const sha = createHash('sha256');
  let info: adminv1.SnapshotInfo | undefined;
  let received = 0;
  let digest: Uint8Array | undefined;
  try {
    arm();
    for await (const msg of call as AsyncIterable<adminv1.SaveSnapshotResponse>) {
      arm();
      const frame = msg.frame;
      if (frame?.$case === 'info') {
        info = frame.value;
        progress.start(info.totalSize);
      } else if (frame?.$case === 'chunk') {
        if (!info) throw new CliError(ExitCode.Refused, 'the member sent snapshot data before its description', { endpoint: endpoint.address });
        sha.update(frame.value);
        received += frame.value.length;
        if (!out.write(frame.value)) await once(out, 'drain');
        progress.update(received);
      } else if (frame?.$case === 'sha256') {
        digest = frame.value;
      }
    }
    clearTimeout(timer);
    out.end();
    await once(out, 'finish');
    if (!info || !digest) throw new CliError(ExitCode.Unreachable, 'the snapshot stream ended early', { endpoint: endpoint.address, hint: 'Retry; see the member\'s log if it persists.' });
    const got = sha.digest('hex');
    const want = Buffer.from(digest).toString('hex');
    if (got !== want || (info.totalSize && received !== info.totalSize)) {
      throw new CliError(ExitCode.Unhealthy, `the snapshot arrived corrupted (${received} of ${info.totalSize} bytes, SHA-256 ${got.slice(0, 12)}… instead of ${want.slice(0, 12)}…)`, {
        endpoint: endpoint.address,
        hint: 'Retry; if it happens again, the member\'s snapshot file may be damaged.',
      });
    }
    await rename(part, file);
    return { file, index: info.index, term: info.term, sizeBytes: received, sha256: got };
  } catch (e) {
    clearTimeout(timer);
    out.destroy();
    await rm(part, { force: true });
    if (e instanceof CliError) throw e;
    if (idle) throw new CliError(ExitCode.Unreachable, `the member sent nothing for ${formatDuration(idleMs)}`, { endpoint: endpoint.address, hint: 'Raise --timeout, or retry when the member is less busy.' });
    if ((e as NodeJS.ErrnoException).syscall) throw e;
    throw rpcError(e, endpoint.address, idleMs);
  }
}
