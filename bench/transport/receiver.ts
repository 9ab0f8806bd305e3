/**
 * The receiving member of the transport benchmark, in a process of its own:
 * counts the appends it is handed and answers heartbeats at once.
 */
import { EntryType, MessageType, message } from '@raftkit/core';
import { GrpcTransport, type TlsOptions } from '@raftkit/transport-grpc';

const { tls } = JSON.parse(process.argv[2] ?? '{}') as { tls: TlsOptions | null };
const counts = { messages: 0, entries: 0, payloadBytes: 0, cpuSeconds: 0 };
let cpuAtReset = process.cpuUsage();

const transport: GrpcTransport = new GrpcTransport({
  id: 2,
  clusterId: 1,
  ...(tls ? { tls } : {}),
  handler: {
    onMessages: (ms) => {
      for (const m of ms) {
        if (m.type === MessageType.Heartbeat) {
          transport.send([message({ type: MessageType.HeartbeatResp, from: 2, to: 1, term: m.term })]);
          continue;
        }
        counts.messages++;
        counts.entries += m.entries.length;
        for (const e of m.entries) if (e.type === EntryType.Normal) counts.payloadBytes += e.data.length;
      }
    },
    onUnreachable: () => {},
    onSnapshotStatus: () => {},
  },
});

const port = await transport.listen('127.0.0.1:0');
process.send!({ port });
process.on('message', (cmd: { peer: string } | 'reset' | 'report') => {
  if (typeof cmd === 'object') {
    transport.setPeer({ id: 1, address: cmd.peer });
  } else if (cmd === 'reset') {
    counts.messages = counts.entries = counts.payloadBytes = 0;
    cpuAtReset = process.cpuUsage();
  } else {
    const cpu = process.cpuUsage(cpuAtReset);
    counts.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  }
  process.send!({ counts });
});
process.on('SIGTERM', () => {
  void transport.close().then(() => process.exit(0));
});
