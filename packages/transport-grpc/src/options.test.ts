import { describe, expect, it } from 'vitest';
import { TransportUsageError } from './errors.js';
import { resolveOptions } from './options.js';

const handler = { onMessages: () => {}, onUnreachable: () => {}, onSnapshotStatus: () => {} };

describe('resolveOptions', () => {
  it('fills in the documented defaults', () => {
    const r = resolveOptions({ id: 1, clusterId: 9, handler });
    expect(r).toMatchObject({
      peers: [],
      maxMessageBytes: 4 * 1024 * 1024,
      maxQueueMessages: 4096,
      maxQueueBytes: 64 * 1024 * 1024,
      snapshotChunkBytes: 1024 * 1024,
      snapshotAttempts: 3,
      backoff: { initialMs: 50, maxMs: 2000 },
      connectTimeoutMs: 5000,
    });
  });

  it('names every bad option with its value and what was expected', () => {
    let error: unknown;
    try {
      resolveOptions({
        id: 0,
        clusterId: 2 ** 60,
        handler,
        maxQueueMessages: 1.5,
        backoff: { initialMs: 500, maxMs: 100 },
        peers: [
          { id: 2, address: 'no-port' },
          { id: 0, address: 'h:1' },
          { id: 3, address: 'h:1' },
          { id: 3, address: 'h:2' },
        ],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TransportUsageError);
    const text = (error as Error).message;
    expect(text).toContain('id is 0; expected a positive integer below 2^53');
    expect(text).toContain('clusterId is 1152921504606847000; expected a positive integer below 2^53');
    expect(text).toContain('maxQueueMessages is 1.5; expected a positive integer');
    expect(text).toContain('backoff.maxMs is 100; expected at least backoff.initialMs (500)');
    expect(text).toContain('address of peer 2 is "no-port"; expected host:port');
    expect(text).toContain('peer id is 0; expected a positive integer');
    expect(text).toContain('peers lists member 3 twice');
  });

  it('refuses a chunk size that cannot fit a frame, and this member as its own peer', () => {
    expect(() => resolveOptions({ id: 1, clusterId: 1, handler, maxMessageBytes: 1024 * 1024 })).toThrow(
      /snapshotChunkBytes is 1048576; expected at most maxMessageBytes - 1024 \(1047552\)/,
    );
    expect(() => resolveOptions({ id: 1, clusterId: 1, handler, peers: [{ id: 1, address: 'h:1' }] })).toThrow(
      /peer 1 is this member itself/,
    );
  });

  it('refuses a missing handler', () => {
    expect(() => resolveOptions({ id: 1, clusterId: 1, handler: undefined as never })).toThrow(/handler is undefined; expected an object/);
  });
});
