/**
 * 32-bit integer multiply, as `Math.imul`. Written out because `Math.imul` runs some 50x slower
 * inside Jest's VM contexts, where the demo models are trained for every test server.
 */
export function imul32(a: number, b: number): number {
  const low = a & 0xffff;
  const high = a >>> 16;
  return (low * b + (((high * b) & 0xffff) << 16)) | 0;
}

/**
 * A small seeded pseudo-random source (mulberry32). Every weight, shuffle and synthetic
 * data set in the model kit draws from it, so builds and training runs are reproducible.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul32(t ^ (t >>> 15), t | 1);
    t ^= t + imul32(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /**
   * Fills `out` with uniform floats in [lo, hi): the same draws as calling {@link next} once per
   * element, in a tight loop over a local state (millions of draws stay cheap in any realm).
   */
  fillUniform(out: Float32Array, lo: number, hi: number, from = 0, to = out.length): Float32Array {
    let state = this.state;
    const span = hi - lo;
    for (let i = from; i < to; i++) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = imul32(state ^ (state >>> 15), state | 1);
      t ^= t + imul32(t ^ (t >>> 7), t | 61);
      out[i] = lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * span;
    }
    this.state = state;
    return out;
  }

  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  /** Standard normal sample (Box-Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Picks one element uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** Float32Array of `size` normal samples scaled by `scale`. */
  normalArray(size: number, scale: number): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.normal() * scale;
    return out;
  }
}
