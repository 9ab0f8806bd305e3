/**
 * Standard gRPC health checking (`grpc.health.v1.Health`): SERVING while
 * this member knows a leader (it can serve linearizable requests), NOT_SERVING
 * otherwise or after a fatal error. The service name "" and
 * "etcdserverpb.KV" are known.
 */
import { type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, status } from '@grpc/grpc-js';
import { healthv1 } from '@raftkit/proto';
import { grpcError } from '../grpc-errors.js';

type ServingStatus = healthv1.HealthCheckResponse_ServingStatus;
const KNOWN = new Set(['', 'etcdserverpb.KV', 'raftkit.admin.v1.Admin']);

/** The serving status, with watchers. */
export class HealthState {
  private current: ServingStatus = healthv1.HealthCheckResponse_ServingStatus.NOT_SERVING;
  private stopping = false;
  private readonly watchers = new Set<(s: ServingStatus) => void>();

  /**
   * What a health check answers now: SERVING while this member knows a
   * leader; NOT_SERVING before it first learns of one, while it knows
   * none, after a fatal error and from the start of a shutdown.
   */
  get status(): ServingStatus {
    return this.current;
  }

  /**
   * Changes the status and tells every watcher, if it differs from the
   * current one. Ignored once {@link shutDown} was called, so a leader
   * learned while stopping cannot turn the member back to SERVING.
   */
  set(s: ServingStatus): void {
    if (this.stopping || s === this.current) return;
    this.current = s;
    for (const w of this.watchers) w(s);
  }

  /** NOT_SERVING from now on, whatever happens next (the member is shutting down). */
  shutDown(): void {
    this.set(healthv1.HealthCheckResponse_ServingStatus.NOT_SERVING);
    this.stopping = true;
  }

  /**
   * Calls `w` with each new status from now on (not with the current one).
   * Returns the function that stops the calls, for when the watching
   * stream ends.
   */
  watch(w: (s: ServingStatus) => void): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }
}

/** The Health service over a {@link HealthState}. */
export function healthService(state: HealthState): healthv1.HealthServer {
  return {
    check: (call: ServerUnaryCall<healthv1.HealthCheckRequest, healthv1.HealthCheckResponse>, callback: sendUnaryData<healthv1.HealthCheckResponse>) => {
      if (!KNOWN.has(call.request.service)) {
        callback(grpcError(status.NOT_FOUND, `unknown service ${JSON.stringify(call.request.service)}`));
        return;
      }
      callback(null, { status: state.status });
    },
    list: (_call: ServerUnaryCall<healthv1.HealthListRequest, healthv1.HealthListResponse>, callback: sendUnaryData<healthv1.HealthListResponse>) => {
      callback(null, { statuses: Object.fromEntries([...KNOWN].map((name) => [name, { status: state.status }])) });
    },
    watch: (call: ServerWritableStream<healthv1.HealthCheckRequest, healthv1.HealthCheckResponse>) => {
      const known = KNOWN.has(call.request.service);
      const send = (s: ServingStatus): void => {
        call.write({ status: known ? s : healthv1.HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN });
      };
      send(state.status);
      const stop = state.watch(send);
      call.on('cancelled', stop);
      call.on('close', stop);
    },
  };
}
