/** Whether the fixed ports the clusters use are free on loopback. */
import { createServer } from 'node:net';

/** The ports of `ports` that cannot be bound on 127.0.0.1 right now. */
export async function busyPorts(ports: readonly number[]): Promise<number[]> {
  const busy: number[] = [];
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (!free) busy.push(port);
  }
  return busy;
}
