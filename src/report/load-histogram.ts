/**
 * Latency histograms of a load run: HDR histograms (pure JS, no WASM to destroy) of integer
 * microseconds, 3 significant digits, growing as needed. Encoded compressed so reports merge exactly.
 */
import * as hdr from 'hdr-histogram-js';
import type { LatencyDistribution, LatencyPercentiles } from './load-report.js';

export type LatencyHistogram = hdr.Histogram;

export function createLatencyHistogram(): LatencyHistogram {
  return hdr.build({
    useWebAssembly: false,
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

/** Fractional milliseconds as integer microseconds, at least 1 (so a fast-fail is never 0). */
export function toMicroseconds(ms: number): number {
  return Math.max(1, Math.round(ms * 1000));
}

export function recordMs(histogram: LatencyHistogram, ms: number): void {
  histogram.recordValue(toMicroseconds(ms));
}

export function percentilesOf(histogram: LatencyHistogram): LatencyPercentiles {
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p99_9: 0, max: 0 };
  return {
    count,
    // The bucket's lower bound (the exact minimum is not kept by the encoding), so merged runs agree with one run.
    min: histogram.getValueAtPercentile(0),
    mean: Math.round(histogram.mean),
    p50: histogram.getValueAtPercentile(50),
    p90: histogram.getValueAtPercentile(90),
    p95: histogram.getValueAtPercentile(95),
    p99: histogram.getValueAtPercentile(99),
    p99_9: histogram.getValueAtPercentile(99.9),
    // The bucket's upper bound, as every percentile is: the same whether read before or after encoding.
    max: histogram.getValueAtPercentile(100),
  };
}

export function encodeHistogram(histogram: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): LatencyHistogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  const histogram = createLatencyHistogram();
  histogram.add(decoded);
  return histogram;
}

export function distributionOf(histogram: LatencyHistogram): LatencyDistribution {
  return { latency_us: percentilesOf(histogram), histogram: encodeHistogram(histogram) };
}
