/**
 * Graceful shutdown of the client services: once closed, a new call is
 * answered at once with etcd's "server stopped" (UNAVAILABLE, which clients
 * retry on another member), while the calls already running finish and
 * write their responses; `drained` says when none is left.
 */
import type * as grpc from '@grpc/grpc-js';
import { ETCD_ERRORS } from '../grpc-errors.js';

type Handler = (call: unknown, callback?: grpc.sendUnaryData<unknown>) => void;

export class CallGate {
  private running = 0;
  private closed = false;
  private readonly idle = new Set<() => void>();

  /** Calls started and not yet answered. */
  get inFlight(): number {
    return this.running;
  }

  /** Refuses new calls from now on. */
  close(): void {
    this.closed = true;
    if (this.running === 0) this.wake();
  }

  /** Resolves `true` once every call running at close was answered, or `false` after `timeoutMs`. */
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
