/** Checking that the ports a local cluster needs are free before starting it. */
import { createServer } from 'node:net';

/** Whether nothing listens on 127.0.0.1:`port` (tries to bind it, then lets go). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** The ports among `ports` that are in use. */
export async function busyPorts(ports: readonly number[]): Promise<number[]> {
  const free = await Promise.all(ports.map(portFree));
  return ports.filter((_, i) => !free[i]);
}
