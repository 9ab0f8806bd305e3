/** The transport was configured or called in a way it cannot honour; the message says what and why. */
export class TransportUsageError extends Error {
  /** `message` says what is wrong. */
  constructor(message: string) {
    super(message);
    this.name = 'TransportUsageError';
  }
}
