/**
 * The one seeded PRNG (mulberry32): latency draws and flaky faults come from it, so a run with the
 * same seed makes the same choices in the same order.
 */
export type Random = () => number;

/** Returns a generator of floats in [0, 1) fully determined by `seed` (taken as a 32-bit integer). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
