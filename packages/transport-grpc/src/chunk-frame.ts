/*
 * The one frame of the protocol that carries bulk data, encoded by hand.
 * The generated encoder writes through a growing buffer (copying a 1 MiB
 * chunk several times as it doubles) and then copies the result once more;
 * here the frame is sized exactly and the chunk copied once. The layout is
 * InstallSnapshotRequest { chunk (2) = SnapshotChunk { offset (1), data (2) } },
 * and chunk-frame.test.ts checks it against the generated encoder byte for byte.
 */

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 0x80) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[pos++] = v;
  return pos;
}

const CHUNK_FIELD_TAG = 0x12; // field 2 of InstallSnapshotRequest, length-delimited
const OFFSET_FIELD_TAG = 0x08; // field 1 of SnapshotChunk, varint
const DATA_FIELD_TAG = 0x12; // field 2 of SnapshotChunk, length-delimited

/** The encoded `InstallSnapshotRequest` carrying `data` at `offset` of the snapshot. */
export function encodeChunkFrame(offset: number, data: Uint8Array): Buffer {
  // proto3 leaves zero-valued scalars and empty bytes out, as the generated encoder does.
  const offsetBytes = offset === 0 ? 0 : 1 + varintSize(offset);
  const dataBytes = data.length === 0 ? 0 : 1 + varintSize(data.length) + data.length;
  const inner = offsetBytes + dataBytes;
  const out = Buffer.allocUnsafe(1 + varintSize(inner) + inner);
  let pos = 0;
  out[pos++] = CHUNK_FIELD_TAG;
  pos = writeVarint(out, pos, inner);
  if (offset !== 0) {
    out[pos++] = OFFSET_FIELD_TAG;
    pos = writeVarint(out, pos, offset);
  }
  if (data.length !== 0) {
    out[pos++] = DATA_FIELD_TAG;
    pos = writeVarint(out, pos, data.length);
    out.set(data, pos);
  }
  return out;
}
