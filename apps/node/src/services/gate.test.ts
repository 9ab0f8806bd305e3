import { EventEmitter } from 'node:events';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { CallGate } from './gate.js';

describe('CallGate', () => {
  it('lets running calls answer after it closes, refuses new ones with "server stopped", and says when none is left', async () => {
    const gate = new CallGate();
    const answers: Array<(v: string) => void> = [];
    const service = gate.guard({
      get: (_call: unknown, cb: (e: unknown, v?: string) => void) => answers.push((v) => cb(null, v)),
      watch: (call: EventEmitter) => call.emit('data', 'streaming'),
    });
    const got: unknown[] = [];
    service.get({}, (e, v) => got.push(e ?? v));
    service.get({}, (e, v) => got.push(e ?? v));
    expect(gate.inFlight).toBe(2);
    gate.close();
    service.get({}, (e: unknown) => got.push(e));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ code: status.UNAVAILABLE, details: 'etcdserver: server stopped' });
    const stream = new EventEmitter();
    const errors: unknown[] = [];
    stream.on('error', (e) => errors.push(e));
    service.watch(stream);
    expect(errors[0]).toMatchObject({ details: 'etcdserver: server stopped' });

    const drained = gate.drained(5000);
    answers[0]!('a');
    expect(gate.inFlight).toBe(1);
    answers[1]!('b');
    expect(await drained).toBe(true);
    expect(got.slice(1)).toEqual(['a', 'b']);
  });

  it('gives up waiting after the bound', async () => {
    const gate = new CallGate();
    gate.guard({ get: (_call: unknown, _cb: unknown) => undefined }).get({}, () => undefined);
    gate.close();
    expect(await gate.drained(20)).toBe(false);
  });
});
