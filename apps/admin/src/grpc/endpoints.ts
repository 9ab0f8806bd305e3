/**
 * Endpoints as operators write them: `host:port`, `[v6]:port`, or a URL
 * (`http://host:port`, `https://host:port`, as etcdctl accepts), separated by
 * commas.
 */
import { usageError } from '../cli/errors.js';

/** One endpoint to dial. */
export interface Endpoint {
  /** `host:port`, as gRPC dials it and as messages name it. */
  address: string;
  /** Given as `https://`: use TLS even without --cacert. */
  tls: boolean;
}

/** Parses one endpoint. */
export function parseEndpoint(text: string): Endpoint {
  const raw = text.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw);
  if (scheme && !['http', 'https', 'grpc', 'grpcs'].includes(scheme[1]!.toLowerCase())) {
    throw usageError(`endpoint '${raw}' has the scheme ${scheme[1]}`, 'Write endpoints as host:port, http://host:port or https://host:port.');
  }
  const tls = scheme !== null && ['https', 'grpcs'].includes(scheme[1]!.toLowerCase());
  const address = (scheme ? raw.slice(scheme[0].length) : raw).replace(/\/+$/, '');
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw usageError(`endpoint '${raw}' is not host:port`, 'Write endpoints as host:port, for example --endpoints 127.0.0.1:2379,127.0.0.1:2389.');
  }
  return { address, tls };
}

/** Parses a comma-separated endpoint list (duplicates dropped, order kept). */
export function parseEndpoints(text: string): Endpoint[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw usageError('--endpoints is empty', 'Give at least one host:port.');
  const seen = new Set<string>();
  const out: Endpoint[] = [];
  for (const p of parts) {
    const e = parseEndpoint(p);
    if (seen.has(e.address)) continue;
    seen.add(e.address);
    out.push(e);
  }
  return out;
}
