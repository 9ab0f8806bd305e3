import type * as grpc from '@grpc/grpc-js';
import { toGrpcError } from '../grpc-errors.js';

/**
 * Wraps an async request handler as a grpc-js unary handler: checks the
 * caller's credentials, then answers with the result or with the gRPC
 * status that `toGrpcError` maps the failure to.
 */
export function unaryHandler<Req, Res>(
  authorize: (metadata: grpc.Metadata) => void,
  body: (req: Req) => Promise<Res> | Res,
  onError?: (e: unknown) => void,
): (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void {
  return (call, callback) => {
    Promise.resolve()
      .then(() => {
        authorize(call.metadata);
        return body(call.request);
      })
      .then(
        (res) => callback(null, res),
        (e: unknown) => {
          onError?.(e);
          callback(toGrpcError(e));
        },
      );
  };
}
