/**
 * The write commands replicated through the Raft log: an etcd request,
 * protobuf-encoded, behind a one-byte tag naming its type. One more, not an
 * etcd request: a member publishing its own name and client addresses
 * (JSON), as etcd members publish their attributes with a normal proposal
 * rather than a membership change.
 */
import { etcdserverpb } from '@raftkit/proto';

/**
 * A member's self-published attributes. `name` is present only when the
 * member was started with one; without it the name the operator gave (at
 * `member add` or `member update`) stays.
 */
export interface MemberAttributes {
  id: number;
  name?: string;
  clientUrls: string[];
}

/** A write the key-value state machine applies. */
export type KvCommand =
  | { type: 'put'; request: etcdserverpb.PutRequest }
  | { type: 'delete-range'; request: etcdserverpb.DeleteRangeRequest }
  | { type: 'txn'; request: etcdserverpb.TxnRequest }
  | { type: 'compact'; request: etcdserverpb.CompactionRequest }
  | { type: 'member-attributes'; request: MemberAttributes };

const TAG = { put: 1, 'delete-range': 2, txn: 3, compact: 4, 'member-attributes': 5 } as const;

/** Encodes a command for a proposal. */
export function encodeCommand(cmd: KvCommand): Uint8Array {
  let body: Uint8Array;
  switch (cmd.type) {
    case 'put':
      body = etcdserverpb.PutRequest.encode(cmd.request).finish();
      break;
    case 'delete-range':
      body = etcdserverpb.DeleteRangeRequest.encode(cmd.request).finish();
      break;
    case 'txn':
      body = etcdserverpb.TxnRequest.encode(cmd.request).finish();
      break;
    case 'compact':
      body = etcdserverpb.CompactionRequest.encode(cmd.request).finish();
      break;
    case 'member-attributes':
      body = new TextEncoder().encode(JSON.stringify(cmd.request));
      break;
  }
  const out = new Uint8Array(body.length + 1);
  out[0] = TAG[cmd.type];
  out.set(body, 1);
  return out;
}

/** Thrown for a log entry that is not a command this version knows: the log is corrupt or from a newer version. */
export class CommandDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandDecodeError';
  }
}

/** Decodes a command from a log entry's payload. */
export function decodeCommand(data: Uint8Array): KvCommand {
  const body = data.subarray(1);
  switch (data[0]) {
    case TAG.put:
      return { type: 'put', request: etcdserverpb.PutRequest.decode(body) };
    case TAG['delete-range']:
      return { type: 'delete-range', request: etcdserverpb.DeleteRangeRequest.decode(body) };
    case TAG.txn:
      return { type: 'txn', request: etcdserverpb.TxnRequest.decode(body) };
    case TAG.compact:
      return { type: 'compact', request: etcdserverpb.CompactionRequest.decode(body) };
    case TAG['member-attributes']:
      return { type: 'member-attributes', request: decodeMemberAttributes(body) };
    default:
      throw new CommandDecodeError(`unknown key-value command tag ${data[0]} in a log entry of ${data.length} bytes (expected 1-5)`);
  }
}

function decodeMemberAttributes(body: Uint8Array): MemberAttributes {
  const v = JSON.parse(new TextDecoder().decode(body)) as Partial<MemberAttributes> | null;
  if (!v || typeof v.id !== 'number' || (v.name !== undefined && typeof v.name !== 'string') || !Array.isArray(v.clientUrls)) {
    throw new CommandDecodeError(`member attributes entry is malformed (expected {id, name?, clientUrls}): ${JSON.stringify(v)}`);
  }
  return { id: v.id, ...(v.name !== undefined ? { name: v.name } : {}), clientUrls: v.clientUrls.map(String) };
}
