import type { RunOptions } from "./config.js";
import { MediaError } from "./errors.js";
import type { MediaProbe } from "./probe.js";
import { lineReader, runFfmpeg, stderrSummary } from "./process.js";

/** How to cut a video into segments. Names mirror the Mixpeek extractor parameters. */
export interface SegmentOptions {
  /** `time`: fixed intervals; `scene`: cut where the picture changes. @defaultValue "time" */
  splitMethod?: "time" | "scene";
  /** Segment length in seconds for `time`. @defaultValue 10 */
  timeSplitInterval?: number;
  /** ffmpeg scene score (0–1) above which a frame starts a new scene, for `scene`. @defaultValue 0.3 */
  sceneDetectionThreshold?: number;
  /** Segments longer than this many seconds are split evenly (both methods). @defaultValue no limit */
  maxSegmentDuration?: number;
  /** Representative frames per segment, spread evenly (1 → the middle). @defaultValue 1 */
  framesPerSegment?: number;
}

export interface Segment {
  index: number;
  /** Seconds from the start of the media. */
  startTime: number;
  endTime: number;
  /** Where the representative frames are taken, in seconds, ascending. */
  frameTimes: number[];
}

export const DEFAULT_TIME_SPLIT_INTERVAL = 10;
export const DEFAULT_SCENE_THRESHOLD = 0.3;
export const DEFAULT_FRAMES_PER_SEGMENT = 1;

/** Segments shorter than this are artefacts of rounding and dropped. */
const MIN_SEGMENT_SEC = 1e-3;

/**
 * Splits a probed media file into segments and picks their representative frame times.
 * An image is one segment with `startTime = endTime = 0` and one frame at 0.
 */
export async function planSegments(
  path: string,
  probe: MediaProbe,
  options: SegmentOptions & RunOptions = {},
): Promise<Segment[]> {
  const framesPerSegment = positiveInt(options.framesPerSegment, DEFAULT_FRAMES_PER_SEGMENT, "framesPerSegment");
  if (probe.kind === "image" || probe.durationSec === null) {
    return [{ index: 0, startTime: 0, endTime: 0, frameTimes: [0] }];
  }
  const duration = probe.durationSec;
  const method = options.splitMethod ?? "time";
  const maxLen = options.maxSegmentDuration === undefined || options.maxSegmentDuration === null
    ? Infinity
    : positiveNumber(options.maxSegmentDuration, Infinity, "maxSegmentDuration");

  let bounds: number[];
  if (method === "time") {
    const interval = positiveNumber(options.timeSplitInterval, DEFAULT_TIME_SPLIT_INTERVAL, "timeSplitInterval");
    bounds = [0];
    // Multiply rather than accumulate so boundaries do not drift (0.1 * 3 stays 0.3).
    for (let k = 1; k * interval < duration - MIN_SEGMENT_SEC; k++) bounds.push(round6(k * interval));
    bounds.push(duration);
  } else if (method === "scene") {
    const threshold = options.sceneDetectionThreshold ?? DEFAULT_SCENE_THRESHOLD;
    if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
      throw new RangeError(`sceneDetectionThreshold must be between 0 and 1, got ${threshold}`);
    }
    const cuts = await detectSceneCuts(path, { ...options, threshold });
    bounds = [0, ...cuts.filter((c) => c > MIN_SEGMENT_SEC && c < duration - MIN_SEGMENT_SEC), duration];
  } else {
    throw new RangeError(`splitMethod must be "time" or "scene", got ${String(method)}`);
  }
  return segmentsFromBounds(bounds, maxLen, framesPerSegment);
}

/** Builds segments from ascending boundaries, splitting long ones evenly and dropping empty ones. */
export function segmentsFromBounds(bounds: number[], maxSegmentDuration: number, framesPerSegment: number): Segment[] {
  const segments: Segment[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const start = bounds[i]!;
    const end = bounds[i + 1]!;
    const len = end - start;
    if (len < MIN_SEGMENT_SEC) continue;
    const parts = Number.isFinite(maxSegmentDuration) ? Math.max(1, Math.ceil(len / maxSegmentDuration - 1e-9)) : 1;
    for (let p = 0; p < parts; p++) {
      const s = p === 0 ? start : round6(start + (len * p) / parts);
      const e = p === parts - 1 ? end : round6(start + (len * (p + 1)) / parts);
      segments.push({ index: segments.length, startTime: s, endTime: e, frameTimes: frameTimesFor(s, e, framesPerSegment) });
    }
  }
  return segments;
}

/** `n` times spread evenly inside [start, end): the centres of n equal slices (n = 1 → the middle). */
export function frameTimesFor(start: number, end: number, n: number): number[] {
  const len = end - start;
  const times: number[] = [];
  for (let k = 0; k < n; k++) times.push(round6(start + (len * (k + 0.5)) / n));
  return times;
}

export interface SceneDetectOptions extends RunOptions {
  /** Scene score threshold (0–1). @defaultValue 0.3 */
  threshold?: number;
}

/**
 * Times (seconds, ascending) of the frames whose ffmpeg scene score exceeds the threshold: one decoding
 * pass with `select='gt(scene,T)'` and `metadata=print`, read line by line from stdout. ffmpeg shifts the
 * input's timestamps to start at 0, so the times are relative to the start of the media (as `-ss` is).
 */
export async function detectSceneCuts(path: string, options: SceneDetectOptions = {}): Promise<number[]> {
  const threshold = options.threshold ?? DEFAULT_SCENE_THRESHOLD;
  const cuts: number[] = [];
  const lines = lineReader((line) => {
    const m = /pts_time:\s*(-?[\d.]+(?:e[-+]?\d+)?)/i.exec(line);
    if (m) {
      const t = Number(m[1]);
      if (Number.isFinite(t)) cuts.push(round6(t));
    }
  });
  const result = await runFfmpeg(
    path,
    [
      // Rotation does not change the score; skipping it saves a transpose per frame.
      "-noautorotate",
      "-i", path,
      "-map", "0:v:0",
      "-an", "-sn", "-dn",
      "-vf", `select='gt(scene,${threshold})',metadata=mode=print:file=-`,
      "-f", "null", "-",
    ],
    options,
    { onData: lines.onData },
  );
  lines.flush();
  if (result.exitCode !== 0) {
    throw new MediaError(
      /Invalid data|corrupt|error while decoding/i.test(result.stderr) ? "corrupt" : "ffmpeg_failed",
      `scene detection failed on ${path}: ${stderrSummary(result.stderr) || `exit code ${result.exitCode}`}`,
      { path, stderr: result.stderr },
    );
  }
  return [...new Set(cuts)].sort((a, b) => a - b);
}

function positiveNumber(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number of seconds, got ${String(v)}`);
  return v;
}
function positiveInt(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined || v === null) return fallback;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return v;
}
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
