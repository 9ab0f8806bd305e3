/** Integer arguments and flags, checked the same way everywhere. */
import { InvalidArgumentError } from 'commander';

/**
 * Returns a parser for an integer within [min, max], for commander options
 * and arguments; `what` names the value in the error.
 */
export function intIn(what: string, min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text: string): number => {
    const n = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
      throw new InvalidArgumentError(`${what} must be ${range}, not '${text}'.`);
    }
    return n;
  };
}

/** A member id: a positive integer. */
export const memberId = intIn('a member id', 1);
