/**
 * A source of randomness: returns a number in [0, 1). The core draws election
 * timeouts from it and nothing else, so a run is reproducible from its seed.
 */
export type RandomSource = () => number;

/**
 * A small, fast, seeded pseudo-random generator (sfc32, by Chris Doty-Humphrey),
 * good enough for jitter and simulation. Not for cryptography.
 *
 * @example
 * const random = seededRandom(42);
 * random(); // the same sequence for seed 42, every run
 */
export function seededRandom(seed: number): RandomSource {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  // Mix the high bits of seeds larger than 2^32 too.
  c ^= Math.floor(seed / 0x100000000) >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/** An integer in [lo, hi) drawn from `random`. */
export function randomInt(random: RandomSource, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo));
}
