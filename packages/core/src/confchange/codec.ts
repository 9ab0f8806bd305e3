import { RaftError } from '../errors.js';
import { EMPTY_BYTES } from '../types.js';
import { type ConfChange, ConfChangeTransition, ConfChangeType } from './types.js';

/*
 * Conf changes travel in log entries as bytes the core itself must read back,
 * so the core owns their encoding (it has no protobuf dependency):
 *
 *   u8 version (1) | u8 transition | varint count | count × (u8 type, varint node id)
 *   | varint context length | context bytes
 */

const VERSION = 1;

function writeVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** Encodes a conf change for an entry of type ConfChange. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const head: number[] = [VERSION, cc.transition];
  writeVarint(head, cc.changes.length);
  for (const c of cc.changes) {
    head.push(c.type);
    writeVarint(head, c.nodeId);
  }
  writeVarint(head, cc.context.length);
  const out = new Uint8Array(head.length + cc.context.length);
  out.set(head, 0);
  out.set(cc.context, head.length);
  return out;
}

/** Thrown when bytes are not a conf change this version can read. */
export class ConfChangeDecodeError extends RaftError {
  /** `message` says where and why decoding stopped. */
  constructor(message: string) {
    super('ConfChangeDecode', `cannot decode conf change: ${message}`);
    this.name = 'ConfChangeDecodeError';
  }
}

/** Decodes the data of an entry of type ConfChange. Empty data decodes as "leave joint". */
export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.length === 0) return { transition: ConfChangeTransition.Auto, changes: [], context: EMPTY_BYTES };
  let pos = 0;
  const byte = (): number => {
    if (pos >= data.length) throw new ConfChangeDecodeError(`truncated at byte ${pos} of ${data.length}`);
    return data[pos++]!;
  };
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = byte();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw new ConfChangeDecodeError(`varint too long at byte ${pos}`);
  };
  const version = byte();
  if (version !== VERSION) throw new ConfChangeDecodeError(`unknown version ${version}, expected ${VERSION}`);
  const transition = byte();
  if (!(transition in ConfChangeTransition)) throw new ConfChangeDecodeError(`unknown transition ${transition}`);
  const count = varint();
  if (count > data.length) throw new ConfChangeDecodeError(`change count ${count} exceeds the data length`);
  const changes = [];
  for (let i = 0; i < count; i++) {
    const type = byte();
    if (!(type in ConfChangeType)) throw new ConfChangeDecodeError(`unknown change type ${type}`);
    changes.push({ type: type as ConfChangeType, nodeId: varint() });
  }
  const len = varint();
  if (pos + len !== data.length) {
    throw new ConfChangeDecodeError(`context of ${len} bytes does not fit the remaining ${data.length - pos} bytes`);
  }
  return { transition: transition as ConfChangeTransition, changes, context: data.slice(pos, pos + len) };
}
