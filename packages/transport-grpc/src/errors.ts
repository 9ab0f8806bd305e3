/** The transport was configured or called in a way it cannot honour; the message says what and why. */
export class TransportUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportUsageError';
  }
}
