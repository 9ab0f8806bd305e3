/**
 * Keeps Node's process warnings from breaking raftctl's one-line output
 * where they say nothing to an operator.
 */

/**
 * grpc-js passes the host of an `https://127.0.0.1:2379` endpoint as the TLS
 * server name, and Node warns (DEP0123) that an IP address is not a valid
 * SNI name. The name is only used for SNI, which a member does not need, and
 * certificates are still checked against the IP; so that warning is dropped
 * and every other one still printed.
 */
export function dropIpServernameWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const first = rest[0];
    const code = typeof first === 'object' && first !== null ? (first as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
