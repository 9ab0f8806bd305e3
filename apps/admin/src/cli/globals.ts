/**
 * The flags every command takes (endpoints, deadline, TLS, token, output),
 * declared once on the root command and read by each command.
 */
import { type Command, Option } from 'commander';
import { type Endpoint, parseEndpoints } from '../grpc/endpoints.js';
import type { TlsFiles } from '../grpc/connections.js';
import { parseDuration } from './duration.js';

/** The global flags, parsed. */
export interface GlobalOptions {
  endpoints: Endpoint[];
  /** Deadline of each request, in milliseconds. */
  timeoutMs: number;
  tls: TlsFiles;
  authToken: string | undefined;
  /** Print JSON on stdout instead of text. */
  json: boolean;
  /** Print stack traces of errors. */
  debug: boolean;
}

/** The default endpoint: a member started with no arguments listens there. */
export const DEFAULT_ENDPOINTS = '127.0.0.1:2379';
const DEFAULT_TIMEOUT_MS = 5000;

/** Declares the global flags on the root command. */
export function addGlobalOptions(program: Command): void {
  program
    .addOption(new Option('--endpoints <list>', 'members to talk to, comma-separated host:port (or http(s)://host:port)').default(DEFAULT_ENDPOINTS).env('RAFTCTL_ENDPOINTS'))
    .addOption(new Option('--timeout <duration>', 'deadline of each request, e.g. 500ms, 5s').argParser(parseDuration).default(DEFAULT_TIMEOUT_MS, '5s').env('RAFTCTL_TIMEOUT'))
    .addOption(new Option('--cacert <file>', 'verify members with this PEM CA bundle (turns TLS on)').env('RAFTCTL_CACERT'))
    .addOption(new Option('--cert <file>', 'client certificate (PEM) for members that require one').env('RAFTCTL_CERT'))
    .addOption(new Option('--key <file>', 'private key (PEM) of --cert').env('RAFTCTL_KEY'))
    .addOption(new Option('--insecure-skip-tls-verify', 'use TLS without checking the member certificate (testing only)'))
    .addOption(new Option('--auth-token <token>', 'token the cluster requires (prefer the environment variable)').env('RAFTCTL_AUTH_TOKEN'))
    .addOption(new Option('--json', 'print JSON on stdout, for scripts'))
    .addOption(new Option('--debug', 'print stack traces with errors'));
}

interface RawGlobals {
  endpoints: string;
  timeout: number;
  cacert?: string;
  cert?: string;
  key?: string;
  insecureSkipTlsVerify?: boolean;
  authToken?: string;
  json?: boolean;
  debug?: boolean;
}

/** Reads the global flags as seen from `cmd` (any command of the program). */
export function globalsOf(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals<RawGlobals>();
  const tls: TlsFiles = {};
  if (o.cacert) tls.caFile = o.cacert;
  if (o.cert) tls.certFile = o.cert;
  if (o.key) tls.keyFile = o.key;
  if (o.insecureSkipTlsVerify) tls.insecureSkipVerify = true;
  return {
    endpoints: parseEndpoints(o.endpoints),
    timeoutMs: o.timeout,
    tls,
    authToken: o.authToken || undefined,
    json: o.json === true,
    debug: o.debug === true,
  };
}

/** Whether --debug is on the command line (errors may happen before flags are parsed). */
export function debugRequested(argv: readonly string[]): boolean {
  return argv.includes('--debug');
}
