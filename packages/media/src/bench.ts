import type { RunOptions } from "./config.js";
import { extractFrames } from "./frames.js";
import { probeMedia, type MediaProbe } from "./probe.js";
import { planSegments, type Segment, type SegmentOptions } from "./segments.js";

export interface SampleFramesBenchOptions extends SegmentOptions, RunOptions {
  /** Passed to extractFrames. */
  maxWidth?: number;
  /** Passed to extractFrames. @defaultValue 8 */
  batchSize?: number;
}

export interface SampleFramesBench {
  probe: MediaProbe;
  segments: Segment[];
  frames: number;
  probeMs: number;
  planMs: number;
  extractMs: number;
  totalMs: number;
  /** Frames decoded per second of extraction wall time. */
  framesPerSec: number;
}

/**
 * The media half of ingestion, timed: probe → plan segments → extract every representative frame.
 * Frames are decoded and dropped segment batch by segment batch, so memory stays small on long videos.
 */
export async function benchSampleFrames(path: string, options: SampleFramesBenchOptions = {}): Promise<SampleFramesBench> {
  const t0 = performance.now();
  const probe = await probeMedia(path, options);
  const t1 = performance.now();
  const segments = await planSegments(path, probe, options);
  const t2 = performance.now();
  const times = segments.flatMap((s) => s.frameTimes);
  const chunk = Math.max(1, (options.batchSize ?? 8) * 4);
  let frames = 0;
  for (let i = 0; i < times.length; i += chunk) {
    const got = await extractFrames(path, times.slice(i, i + chunk), { ...options, probe });
    frames += got.length;
  }
  const t3 = performance.now();
  const extractMs = t3 - t2;
  return {
    probe,
    segments,
    frames,
    probeMs: t1 - t0,
    planMs: t2 - t1,
    extractMs,
    totalMs: t3 - t0,
    framesPerSec: extractMs > 0 ? (frames * 1000) / extractMs : 0,
  };
}
