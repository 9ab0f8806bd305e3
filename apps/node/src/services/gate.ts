/**
 * Graceful shutdown of the client services: once closed, a new call is
 * answered at once with etcd's "server stopped" (UNAVAILABLE, which clients
 * retry on another member), while the calls already running finish and
 * write their responses; `drained` says when none is left.
 */
import type * as grpc from '@grpc/grpc-js';
import { ETCD_ERRORS } from '../grpc-errors.js';

type Handler = (call: unknown, callback?: grpc.sendUnaryData<unknown>) => void;

/**
 * Counts the client calls running through the services it {@link guard}s,
 * so that a shutdown can {@link close} it, refusing new calls, and wait
 * until the running ones have been answered ({@link drained}). Once closed
 * it stays closed: a member stops only once.
 */
export class CallGate {
  private running = 0;
  private closed = false;
  private readonly idle = new Set<() => void>();

  /** Unary and client-streaming calls that passed the gate and have not been answered yet (streams are not counted). */
  get inFlight(): number {
    return this.running;
  }

  /**
   * Refuses every call that arrives from now on with etcd's "server
   * stopped"; the calls already running go on.
   */
  close(): void {
    this.closed = true;
    if (this.running === 0) this.wake();
  }

  /**
   * Resolves `true` once the gate is closed and every call it let through
   * has been answered, or `false` if some are still running after
   * `timeoutMs`. Resolves `true` at once when no call is running.
   */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.idle.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idle.delete(done);
        resolve(false);
      }, timeoutMs);
      this.idle.add(done);
    });
  }

  /**
   * Wraps every handler of a grpc-js service implementation. Calls with a
   * callback (unary, client streaming) are counted until they answer; server
   * and bidirectional streams (watches) are not waited for, but are refused
   * once the gate is closed.
   */
  guard<T extends object>(impl: T): T {
    const out: Record<string, Handler> = {};
    for (const [name, fn] of Object.entries(impl as Record<string, Handler>)) {
      out[name] =
        fn.length >= 2
          ? (call, callback) => {
              if (this.closed) {
                callback!(ETCD_ERRORS.stopped());
                return;
              }
              this.running++;
              let answered = false;
              fn(call, (...args: Parameters<grpc.sendUnaryData<unknown>>) => {
                callback!(...args);
                if (answered) return;
                answered = true;
                if (--this.running === 0) this.wake();
              });
            }
          : (call) => {
              if (this.closed) {
                // grpc-js ends a server stream with the status of the error it emits.
                (call as grpc.ServerWritableStream<unknown, unknown>).emit('error', ETCD_ERRORS.stopped());
                return;
              }
              fn(call);
            };
    }
    return out as T;
  }

  private wake(): void {
    if (!this.closed) return;
    for (const w of [...this.idle]) w();
  }
}
