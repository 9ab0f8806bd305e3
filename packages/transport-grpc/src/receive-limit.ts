import * as grpc from '@grpc/grpc-js';

/** Called for each incoming message grpc-js refused as too large, with the request metadata of its call. */
export type ReceiveLimitListener = (metadata: grpc.Metadata | undefined, details: string) => void;

/**
 * A server interceptor that reports the messages grpc-js refuses itself
 * for exceeding `grpc.max_receive_message_length`. grpc-js answers those
 * with RESOURCE_EXHAUSTED before the message is buffered, and the handler
 * only learns that its call was cancelled; this reports the refusal with
 * the call's request metadata (the same object the handler holds), so the
 * transport can count it against the stream's sender.
 *
 * It must be the first interceptor of the server: it observes the status
 * that grpc-js's innermost call object sends through its own `sendStatus`
 * (as grpc-js 1.14 does; test/bad-input.test.ts checks it). Statuses the
 * handler sends pass through its responder and are not reported. Calls to
 * other paths than `paths` pass through untouched.
 */
export function receiveLimitInterceptor(paths: ReadonlySet<string>, onRefused: ReceiveLimitListener): grpc.ServerInterceptor {
  return (method, call) => {
    if (!paths.has(method.path)) return new grpc.ServerInterceptingCall(call);
    let metadata: grpc.Metadata | undefined;
    let fromHandler = false;
    // grpc-js may try to end the call more than once (frames keep arriving until the status is out).
    let reported = false;
    const sendStatus = call.sendStatus.bind(call);
    call.sendStatus = (status) => {
      const details = status.details ?? '';
      if (!fromHandler && !reported && status.code === grpc.status.RESOURCE_EXHAUSTED && details.startsWith('Received message')) {
        reported = true;
        onRefused(metadata, details);
      }
      sendStatus(status);
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (md, nextMetadata) => {
            metadata = md;
            nextMetadata(md);
          },
        }),
      sendStatus: (status, next) => {
        fromHandler = true;
        next(status);
      },
    });
  };
}
