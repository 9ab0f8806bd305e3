/**
 * Spreads a small integer over 32 bits (the finalizer of MurmurHash3, with
 * an offset so that 0 does not map to 0). XOR-ing the results for the
 * members of a set gives a well-mixed, incrementally updatable hash of the
 * set (Zobrist hashing).
 */
export function mix32(value: number): number {
  let x = (value + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
