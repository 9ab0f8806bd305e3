/** Reading what is piped to raftctl (a value for `kv put`, a script for `kv txn`). */

/** Whether something is piped in (stdin is not a terminal). */
export function stdinPiped(): boolean {
  return process.stdin.isTTY !== true;
}

/** Reads all of stdin. */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
