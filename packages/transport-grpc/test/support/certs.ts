import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths of a generated certificate authority and the certificates it signed. */
export interface TestPki {
  dir: string;
  caFile: string;
  /** Certificate and key of a member, valid for 127.0.0.1 and localhost, as server and client. */
  node(name: string): { certFile: string; keyFile: string };
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/**
 * Creates, in a fresh temporary directory, a CA named `caName` and one
 * certificate per name in `nodes`, with the `openssl` CLI. Keys are EC P-256
 * and valid for one day: they exist only for the test run.
 */
export async function createPki(caName: string, nodes: string[]): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'raftkit-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(dir, [
    'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', `/CN=${caName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await writeFile(
    join(dir, 'node.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n',
  );
  for (const name of nodes) {
    await openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    await openssl(dir, [
      'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '1', '-extfile', 'node.ext',
    ]);
  }
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    node: (name) => ({ certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) }),
  };
}
