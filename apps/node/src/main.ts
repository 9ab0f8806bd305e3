#!/usr/bin/env node
/**
 * `raftkit-node` / `pnpm --filter node start`: runs one raftkit member.
 * With no arguments, a single-member cluster on localhost with its data in
 * ./data; with `--config FILE` (and RAFTKIT_* variables and flags), a member
 * of a multi-member cluster. `--help` lists every setting.
 */
import { ConfigError, detectInfoFlag, formatConfigHelp, loadConfig } from '@raftkit/config';
import { createLogger } from './logging.js';
import { VERSION, startServer } from './server.js';

/** After a second signal, how long closing storage may take before the process exits regardless. */
const FORCED_EXIT_MS = 3000;

const USAGE = `raftkit-node ${VERSION}: a member of a raftkit cluster, a replicated key-value store etcd v3 clients can use.

Usage: raftkit-node [--config FILE] [--id N] [flags]

With no arguments it starts a single-member cluster on 127.0.0.1 with its data in ./data.
`;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const info = detectInfoFlag(argv);
  if (info === 'help') {
    process.stdout.write(`${USAGE}\n${formatConfigHelp()}\n`);
    return 0;
  }
  if (info === 'version') {
    process.stdout.write(`raftkit-node ${VERSION}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig({ argv, env: process.env });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n\nRun with --help to see every setting.\n`);
      return 2;
    }
    throw e;
  }
  const logger = createLogger({ level: config.log.level, format: config.log.format, memberId: config.id });
  const server = await startServer(config, logger);
  const a = server.addresses;
  const others = config.members.length - 1;
  process.stderr.write(
    [
      '',
      `  raftkit ${VERSION}: member ${config.id}${others > 0 ? ` of a ${config.members.length}-member cluster` : ' (single-member cluster)'}`,
      `  clients (etcd v3 API, admin, health): ${a.client.join(', ')}`,
      `  peers: ${a.peer.join(', ')}`,
      ...(a.metrics.length ? [`  metrics: ${a.metrics.map((m) => `http://${m}/metrics`).join(', ')}`] : []),
      `  data: ${config.dataDir}`,
      '',
      `  try:  etcdctl --endpoints=${a.client[0]} put greeting hello`,
      `        pnpm raftctl --endpoints ${a.client[0]} status`,
      '',
    ].join('\n') + '\n',
  );

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      // Drop the requests still in flight, but close storage cleanly if it can be done quickly.
      logger.warn({ signal: sig }, 'second signal: dropping the requests in flight and exiting');
      setTimeout(() => process.exit(1), FORCED_EXIT_MS).unref();
      server.stop({ force: true }).finally(() => process.exit(1));
      return;
    }
    logger.info({ signal: sig }, 'shutting down: answering the requests in flight (send the signal again to force)');
    server.stop().then(
      // A second signal settles this same stop; the exit status is then the forced one.
      () => process.exit(signals > 1 ? 1 : 0),
      (e: Error) => {
        logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return -1;
}

// `pnpm --filter node start` (and `dev`) run this script in apps/node; relative
// paths (./data, --config FILE) belong to the directory the user typed it in,
// as the README promises.
const lifecycle = process.env.npm_lifecycle_event;
if ((lifecycle === 'start' || lifecycle === 'dev') && process.env.npm_package_name === '@raftkit/node' && process.env.INIT_CWD) {
  process.chdir(process.env.INIT_CWD);
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`raftkit-node: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
