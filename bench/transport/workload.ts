import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EntryType, type Message, MessageType, message } from '@raftkit/core';

const payloads = new Map<number, Uint8Array>();

/** An App message with `n` entries of `size` bytes after `index` (entries share one payload buffer). */
export function appendMessage(from: number, to: number, index: number, n: number, size: number): Message {
  let data = payloads.get(size);
  if (!data) {
    data = new Uint8Array(size).fill(0x61);
    payloads.set(size, data);
  }
  const entries = new Array(n);
  for (let i = 0; i < n; i++) entries[i] = { term: 5, index: index + i + 1, type: EntryType.Normal, data };
  return message({ type: MessageType.App, from, to, term: 5, logTerm: 5, index, commit: index, entries });
}

/** A heartbeat from `from` to `to`. */
export function heartbeat(from: number, to: number, commit: number): Message {
  return message({ type: MessageType.Heartbeat, from, to, term: 5, commit });
}

/** A throwaway CA and member certificates made with the openssl CLI in `dir`. */
export async function createPki(dir: string, names: string[]) {
  const run = promisify(execFile);
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=bench-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await writeFile(join(dir, 'node.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  for (const n of names) {
    await openssl(['req', ...ec, '-keyout', `${n}.key`, '-out', `${n}.csr`, '-subj', `/CN=${n}`]);
    await openssl(['x509', '-req', '-in', `${n}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${n}.crt`, '-days', '1', '-extfile', 'node.ext']);
  }
  return {
    caFile: join(dir, 'ca.crt'),
    node: (n: string) => ({ certFile: join(dir, `${n}.crt`), keyFile: join(dir, `${n}.key`) }),
  };
}
