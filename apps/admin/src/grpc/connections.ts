/**
 * gRPC clients of the members raftctl talks to, one per endpoint and
 * service, with the credentials, token and deadlines every call needs.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { adminv1, etcdserverpb } from '@raftkit/proto';
import { CliError } from '../cli/errors.js';
import { ExitCode } from '../cli/exit-codes.js';
import type { Endpoint } from './endpoints.js';
import { rpcError } from './rpc-errors.js';

/** TLS material from the command line (etcdctl's flag names). */
export interface TlsFiles {
  /** CA bundle that member certificates are checked against. */
  caFile?: string;
  /** Client certificate, for members that require one. */
  certFile?: string;
  /** Private key of the client certificate. */
  keyFile?: string;
  /** Accept any server certificate (testing only). */
  insecureSkipVerify?: boolean;
}

/** How raftctl connects. */
export interface ConnectionOptions {
  /** Deadline of each request, in milliseconds. */
  timeoutMs: number;
  tls: TlsFiles;
  /** Sent as `authorization: Bearer <token>` when the cluster requires one. */
  authToken?: string | undefined;
}

/** The callback of a grpc-js unary method. */
export type Callback<Res> = (err: grpc.ServiceError | null, res: Res) => void;

/** Starts one unary call on `client`. */
export type Invoke<C, Res> = (client: C, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback<Res>) => unknown;

/** Responses and snapshots can be large; the default 4 MiB limit is for servers. */
const CLIENT_OPTIONS: grpc.ClientOptions = { 'grpc.max_receive_message_length': 256 * 1024 * 1024 };

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliError(ExitCode.Local, `cannot read ${flag} ${path}: ${(e as Error).message}`, { hint: `Check the path given to ${flag}.`, cause: e });
  }
}

/** Clients of every endpoint used by one command; {@link close} them at the end. */
export class Connections {
  private readonly admins = new Map<string, adminv1.AdminClient>();
  private readonly kvs = new Map<string, etcdserverpb.KVClient>();
  private secure: grpc.ChannelCredentials | undefined;
  private readonly extraClients: grpc.Client[] = [];

  constructor(readonly options: ConnectionOptions) {}

  /** Whether TLS files were given, so endpoints found through discovery use TLS too. */
  get tlsConfigured(): boolean {
    const t = this.options.tls;
    return Boolean(t.caFile || t.certFile || t.keyFile || t.insecureSkipVerify);
  }

  /** The channel credentials for `endpoint`. */
  credentials(endpoint: Endpoint): grpc.ChannelCredentials {
    if (!endpoint.tls && !this.tlsConfigured) return grpc.credentials.createInsecure();
    if (!this.secure) {
      const t = this.options.tls;
      if (Boolean(t.certFile) !== Boolean(t.keyFile)) {
        throw new CliError(ExitCode.Usage, '--cert and --key go together', { hint: 'Give both, or neither.' });
      }
      this.secure = grpc.credentials.createSsl(
        t.caFile ? readPem('--cacert', t.caFile) : null,
        t.keyFile ? readPem('--key', t.keyFile) : null,
        t.certFile ? readPem('--cert', t.certFile) : null,
        t.insecureSkipVerify ? { checkServerIdentity: () => undefined, rejectUnauthorized: false } : {},
      );
    }
    return this.secure;
  }

  /** The metadata every call carries (the token, when one is set). */
  metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.options.authToken) md.set('authorization', `Bearer ${this.options.authToken}`);
    return md;
  }

  /** Call options with a deadline `timeoutMs` from now. */
  callOptions(timeoutMs = this.options.timeoutMs): grpc.CallOptions {
    return { deadline: Date.now() + timeoutMs };
  }

  /** The admin client of `endpoint`. */
  adminClient(endpoint: Endpoint): adminv1.AdminClient {
    let c = this.admins.get(endpoint.address);
    if (!c) {
      c = new adminv1.AdminClient(endpoint.address, this.credentials(endpoint), CLIENT_OPTIONS);
      this.admins.set(endpoint.address, c);
    }
    return c;
  }

  /** The KV client of `endpoint`. */
  kvClient(endpoint: Endpoint): etcdserverpb.KVClient {
    let c = this.kvs.get(endpoint.address);
    if (!c) {
      c = new etcdserverpb.KVClient(endpoint.address, this.credentials(endpoint), CLIENT_OPTIONS);
      this.kvs.set(endpoint.address, c);
    }
    return c;
  }

  /**
   * A KV client on a connection of its own: grpc-js shares one connection
   * per address between clients unless told otherwise, and a load generator
   * wants several.
   */
  dedicatedKvClient(endpoint: Endpoint): etcdserverpb.KVClient {
    const c = new etcdserverpb.KVClient(endpoint.address, this.credentials(endpoint), { ...CLIENT_OPTIONS, 'grpc.use_local_subchannel_pool': 1 });
    this.extraClients.push(c);
    return c;
  }

  /** One admin call on `endpoint`; failures become CliErrors naming the endpoint. */
  admin<Res>(endpoint: Endpoint, invoke: Invoke<adminv1.AdminClient, Res>, timeoutMs = this.options.timeoutMs): Promise<Res> {
    return this.unary(endpoint, this.adminClient(endpoint), invoke, timeoutMs);
  }

  /** One KV call on `endpoint`; failures become CliErrors naming the endpoint. */
  kv<Res>(endpoint: Endpoint, invoke: Invoke<etcdserverpb.KVClient, Res>, timeoutMs = this.options.timeoutMs): Promise<Res> {
    return this.unary(endpoint, this.kvClient(endpoint), invoke, timeoutMs);
  }

  /** One unary call on any client, with this command's metadata and deadline. */
  unary<C, Res>(endpoint: Endpoint, client: C, invoke: Invoke<C, Res>, timeoutMs = this.options.timeoutMs): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      invoke(client, this.metadata(), this.callOptions(timeoutMs), (err, res) => {
        if (err) reject(rpcError(err, endpoint.address, timeoutMs));
        else resolve(res);
      });
    });
  }

  /** An endpoint for an address learned from the cluster, secured like the ones given. */
  endpointFor(address: string, like: readonly Endpoint[]): Endpoint {
    return { address, tls: like.some((e) => e.tls) };
  }

  /** Closes every client (open channels would keep the process alive). */
  close(): void {
    for (const c of this.admins.values()) c.close();
    for (const c of this.kvs.values()) c.close();
    for (const c of this.extraClients) c.close();
    this.admins.clear();
    this.kvs.clear();
    this.extraClients.length = 0;
  }
}
