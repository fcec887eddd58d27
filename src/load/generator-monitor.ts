/**
 * The load generator watching itself: CPU (per interval and overall), memory and event-loop delay.
 * A generator that saturates its CPU delays its own sends, so the figures then describe the generator.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { GeneratorStats } from '../report/load-report.js';

/** Average CPU (percent of one core) above which the run is flagged as generator-bound. */
export const SATURATION_PERCENT = 85;

export class GeneratorMonitor {
  private readonly startCpu = process.cpuUsage();
  private readonly startWall = performance.now();
  private intervalCpu = process.cpuUsage();
  private intervalWall = performance.now();
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private peakPercent = 0;
  private rssPeak = process.memoryUsage.rss();
  private heapPeak = process.memoryUsage().heapUsed;

  constructor() {
    this.loopDelay.enable();
  }

  /** CPU percent of one core since the previous call; also samples memory peaks. */
  sample(): number {
    const cpu = process.cpuUsage(this.intervalCpu);
    const wall = performance.now();
    const elapsedMs = Math.max(1, wall - this.intervalWall);
    this.intervalCpu = process.cpuUsage();
    this.intervalWall = wall;
    const percent = ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100;
    if (elapsedMs >= 500) this.peakPercent = Math.max(this.peakPercent, percent);
    this.rssPeak = Math.max(this.rssPeak, process.memoryUsage.rss());
    this.heapPeak = Math.max(this.heapPeak, process.memoryUsage().heapUsed);
    return percent;
  }

  stop(): GeneratorStats {
    this.sample();
    this.loopDelay.disable();
    const cpu = process.cpuUsage(this.startCpu);
    const elapsedMs = Math.max(1, performance.now() - this.startWall);
    const percent = ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100;
    return {
      cpu_user_ms: Math.round(cpu.user / 1000),
      cpu_system_ms: Math.round(cpu.system / 1000),
      cpu_percent: Math.round(percent),
      cpu_peak_percent: Math.round(Math.max(this.peakPercent, percent)),
      rss_peak_bytes: this.rssPeak,
      rss_end_bytes: process.memoryUsage.rss(),
      heap_used_peak_bytes: this.heapPeak,
      event_loop_delay_p99_ms: Math.round((this.loopDelay.percentile(99) / 1e6) * 100) / 100,
      // Below a second, start-up work (connecting, compiling) dominates: too short to judge.
      saturated: percent >= SATURATION_PERCENT && elapsedMs >= 1000,
    };
  }
}
