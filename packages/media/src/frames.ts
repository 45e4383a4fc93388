import { availableParallelism } from "node:os";
import type { RunOptions } from "./config.js";
import { MediaError } from "./errors.js";
import { decodeImage, type RgbFrame } from "./image.js";
import { probeMedia, type MediaProbe } from "./probe.js";
import { runFfmpeg, stderrSummary } from "./process.js";

export interface ExtractFramesOptions extends RunOptions {
  /** Scale frames down (never up) to at most this width, keeping the display aspect ratio. */
  maxWidth?: number;
  /** A probe of the same file, to skip probing again. */
  probe?: MediaProbe;
  /**
   * Frames decoded by one ffmpeg process: each is its own input with a fast, accurate `-ss` seek and its own
   * output pipe. Larger batches spawn fewer processes but keep more decoders open at once; above 1280x720
   * the batch shrinks in proportion to the frame size (to 2 at 4K) to bound memory. @defaultValue 8
   */
  batchSize?: number;
  /**
   * `exact`: the frame on screen at each time (decodes from the preceding keyframe up to the time).
   * `keyframe`: the keyframe at or before each time, decoding one frame per time. Much faster on long GOPs,
   * but the frame can lie up to one keyframe interval before the time (often seconds). @defaultValue "exact"
   */
  seekMode?: "exact" | "keyframe";
  /**
   * ffmpeg processes run at once. ffmpeg decodes its inputs one after another, so on many cores several
   * processes go faster. @defaultValue a quarter of the CPUs, between 1 and 4
   */
  concurrency?: number;
}

/** Pixels of a 1280x720 frame: the batch size applies as given up to this frame size and shrinks above it. */
const BATCH_REFERENCE_PIXELS = 1280 * 720;
/** Frame threads per decoder: enough to keep a core or four busy, few enough to bound reference-frame memory. */
const DECODER_THREADS = Math.max(1, Math.min(4, availableParallelism()));

/**
 * Decodes the frames shown at `times` (seconds from the start) to packed RGB in display orientation, in
 * the order given. Each frame is the one on screen at its time (the last presented at or before it); times at
 * or past the end give the last frame. Images ignore the times and give the decoded image for each.
 * Memory stays at one frame per requested time plus ffmpeg's decoders: the video is never buffered.
 */
export async function extractFrames(path: string, times: number[], options: ExtractFramesOptions = {}): Promise<RgbFrame[]> {
  if (!Array.isArray(times) || times.some((t) => typeof t !== "number" || Number.isNaN(t))) {
    throw new TypeError("times must be an array of numbers (seconds)");
  }
  if (options.maxWidth !== undefined && (!Number.isInteger(options.maxWidth) || options.maxWidth < 1)) {
    throw new RangeError(`maxWidth must be a positive integer, got ${options.maxWidth}`);
  }
  const requestedBatch = options.batchSize ?? 8;
  if (!Number.isInteger(requestedBatch) || requestedBatch < 1 || requestedBatch > 64) {
    throw new RangeError(`batchSize must be an integer in 1..64, got ${requestedBatch}`);
  }
  const concurrency = options.concurrency ?? Math.max(1, Math.min(4, Math.floor(availableParallelism() / 4)));
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new RangeError(`concurrency must be an integer in 1..32, got ${concurrency}`);
  }
  if (times.length === 0) return [];

  const probe = options.probe ?? (await probeMedia(path, options));
  if (probe.kind === "image") {
    const image = await decodeImage(path, options.maxWidth === undefined ? {} : { maxWidth: options.maxWidth });
    return times.map(() => image);
  }

  // Every input of a batch holds a decoder with its reference frames: fewer per process for big frames.
  const pixels = (probe.codedWidth ?? probe.width) * (probe.codedHeight ?? probe.height);
  const batchSize = Math.max(1, Math.min(requestedBatch, Math.floor((requestedBatch * BATCH_REFERENCE_PIXELS) / Math.max(1, pixels)) || 1));
  const pool = { batchSize, concurrency };
  const shape: OutputShape = { ...outputSize(probe, options.maxWidth), flatten: ALPHA_CODECS.has(probe.videoCodec ?? "") };
  const duration = probe.durationSec ?? Infinity;
  const out: (RgbFrame | null)[] = times.map(() => null);
  const seekable: number[] = [];
  times.forEach((t, i) => {
    if (t < duration) seekable.push(i);
  });

  // The frame on screen at t is the last one presented at or before t: decode a short window ending at t
  // (a frame and a half at the average rate; three average frames, at most 2 s, when the rate varies) and
  // keep its last frame.
  // In keyframe mode, decode just the keyframe at or before t.
  const window = !probe.fps ? 1 : probe.variableFrameRate ? Math.min(2, 3 / probe.fps) : 1.5 / probe.fps;
  const keyframe = options.seekMode === "keyframe";
  if (options.seekMode !== undefined && !keyframe && options.seekMode !== "exact") {
    throw new RangeError(`seekMode must be "exact" or "keyframe", got ${String(options.seekMode)}`);
  }
  const pending = await decodeInBatches(path, seekable, pool, (i) => {
    const t = Math.max(0, times[i]!);
    if (keyframe) return { seek: t, keyframe: true };
    const seek = Math.max(0, t - window);
    return { seek, windowSec: t - seek + 1e-4 };
  }, out, shape, options);
  // An empty window in a variable-rate file means sparse frames: look back up to 10 s. (At a constant rate
  // it means missing data, which must not be papered over with an older frame.) Then take the first frame
  // after t (no keyframe found, or nothing before t at all).
  const stillPending = keyframe || !probe.variableFrameRate
    ? pending
    : await decodeInBatches(path, pending, pool, (i) => {
        const t = Math.max(0, times[i]!);
        const seek = Math.max(0, t - 10);
        return { seek, windowSec: t - seek + 1e-4 };
      }, out, shape, options);
  await decodeInBatches(path, stillPending, pool, (i) => ({ seek: Math.max(0, times[i]!) }), out, shape, options);

  // Times past the end, and times inside the last frame's display span (after which nothing starts).
  const missing = out.flatMap((f, i) => (f === null ? [times[i]!] : []));
  if (missing.length > 0) {
    let last: RgbFrame;
    try {
      last = await decodeLastFrame(path, shape, options);
    } catch (err) {
      if (!(err instanceof MediaError) || err.code !== "corrupt") throw err;
      const at = missing.map((t) => t.toFixed(3)).join(", ");
      throw new MediaError("corrupt", `no frame could be decoded at ${at} s of ${path}: the file is truncated or corrupt (${stderrSummary(err.stderr ?? "", 1) || "no frames"})`, {
        path,
        stderr: err.stderr,
        cause: err,
      });
    }
    for (let i = 0; i < out.length; i++) if (out[i] === null) out[i] = last;
  }
  return out as RgbFrame[];
}

/** Decodes out[i] for each index, `batchSize` per process, `concurrency` processes at once; returns the indices that got no frame. */
async function decodeInBatches(
  path: string,
  indices: number[],
  pool: { batchSize: number; concurrency: number },
  request: (i: number) => FrameRequest,
  out: (RgbFrame | null)[],
  shape: OutputShape,
  options: RunOptions,
): Promise<number[]> {
  const batches: number[][] = [];
  for (let b = 0; b < indices.length; b += pool.batchSize) batches.push(indices.slice(b, b + pool.batchSize));
  const missing = new Set<number>();
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < batches.length && !failed) {
      const idx = batches[next++]!;
      try {
        const frames = await decodeBatch(path, idx.map(request), shape, options);
        idx.forEach((i, k) => {
          const frame = frames[k] ?? null;
          out[i] = frame;
          if (frame === null) missing.add(i);
        });
      } catch (err) {
        failed = true; // the other lanes finish their current batch and stop
        throw err;
      }
    }
  };
  const lanes = Array.from({ length: Math.min(pool.concurrency, batches.length) }, lane);
  const results = await Promise.allSettled(lanes);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected) throw rejected.reason;
  return indices.filter((i) => missing.has(i));
}

/** The RGB output size for a probe: display size, scaled down to `maxWidth`. */
export function outputSize(probe: MediaProbe, maxWidth?: number): { width: number; height: number } {
  let width = probe.width;
  let height = probe.height;
  if (maxWidth !== undefined && width > maxWidth) {
    height = Math.max(1, Math.round((height * maxWidth) / width));
    width = maxWidth;
  }
  return { width, height };
}

/** Codecs whose frames carry transparency, flattened onto white like `decodeImage` does. */
const ALPHA_CODECS = new Set(["gif", "apng"]);

/** Filters after ffmpeg's automatic rotation: flatten alpha, force the exact size (so byte counts are known), RGB. */
function frameFilter(width: number, height: number, flatten: boolean): string {
  const scale = `scale=${width}:${height}:flags=bicubic,setsar=1,format=rgb24`;
  if (!flatten) return scale;
  // A white copy of each frame (same timestamps) with the frame composited over it.
  return `split[bg][fg];[bg]format=rgba,lutrgb=r=255:g=255:b=255:a=255[white];[white][fg]overlay=format=auto,${scale}`;
}

interface OutputShape {
  width: number;
  height: number;
  /** Composite transparent frames onto white. */
  flatten: boolean;
}

/** Where one output starts decoding and, for a window, where it stops (exclusive, relative to the seek). */
interface FrameRequest {
  seek: number;
  /** Keep frames presented before this many seconds after `seek`, and return the last of them. Absent: the first frame. */
  windowSec?: number;
  /** Decode only the keyframe at or before `seek`. */
  keyframe?: boolean;
}

/**
 * One ffmpeg process: input k is the file with a fast, accurate seek to requests[k].seek; output k writes raw
 * RGB frames to fd 3+k, of which the last complete one is kept (at most two frame buffers per output).
 */
async function decodeBatch(path: string, requests: FrameRequest[], { width, height, flatten }: OutputShape, options: RunOptions): Promise<(RgbFrame | null)[]> {
  const frameBytes = width * height * 3;
  const sinks = requests.map(() => new LastFrameSink(frameBytes));
  const args: string[] = [];
  for (const r of requests) {
    // One keyframe needs no frame threads; starting them costs more than the decode.
    if (r.keyframe) args.push("-threads", "1", "-skip_frame", "nokey", "-noaccurate_seek");
    else args.push("-threads", String(DECODER_THREADS));
    args.push("-ss", r.seek.toFixed(6), "-i", path);
  }
  requests.forEach((r, k) => {
    const filter = frameFilter(width, height, flatten);
    args.push("-map", `${k}:v:0`);
    if (r.windowSec === undefined) args.push("-frames:v", "1", "-vf", filter);
    else args.push("-vf", `trim=end=${r.windowSec.toFixed(6)},${filter}`);
    args.push("-f", "rawvideo", `pipe:${3 + k}`);
  });
  const result = await runFfmpeg(path, args, options, {
    extraPipes: requests.length,
    onData: (fd, chunk) => sinks[fd - 3]?.write(chunk),
  });
  const frames = sinks.map((sink) => (sink.last ? { data: sink.last, width, height } : null));
  const partial = sinks.some((sink) => sink.partial);
  if (partial || (result.exitCode !== 0 && frames.every((f) => f === null))) {
    throw decodeFailure(path, `frames at ${requests.map((r) => (r.seek + (r.windowSec ?? 0)).toFixed(3)).join(", ")} s`, result.stderr, result.exitCode);
  }
  return frames;
}

/** The last frame of the video, read from a seek a few seconds before the end (one frame kept at a time). */
async function decodeLastFrame(path: string, { width, height, flatten }: OutputShape, options: RunOptions): Promise<RgbFrame> {
  const sink = new LastFrameSink(width * height * 3);
  const result = await runFfmpeg(
    path,
    ["-sseof", "-3", "-i", path, "-map", "0:v:0", "-vf", frameFilter(width, height, flatten), "-f", "rawvideo", "pipe:1"],
    options,
    { onData: (_fd, chunk) => sink.write(chunk) },
  );
  if (sink.last === null) {
    throw decodeFailure(path, "the last frame", result.stderr, result.exitCode, true);
  }
  return { data: sink.last, width, height };
}

/**
 * Cuts a raw video stream into frames of `frameBytes` and keeps only the last complete one: two buffers,
 * swapped as frames complete, whatever the length of the stream.
 */
class LastFrameSink {
  /** The last complete frame, or null while none has arrived. */
  last: Uint8Array | null = null;
  private current: Uint8Array;
  private filled = 0;

  constructor(private readonly frameBytes: number) {
    this.current = new Uint8Array(frameBytes);
  }

  /** True when the stream stopped inside a frame. */
  get partial(): boolean {
    return this.filled !== 0;
  }

  write(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.frameBytes - this.filled);
      this.current.set(chunk.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === this.frameBytes) {
        const done = this.current;
        this.current = this.last ?? new Uint8Array(this.frameBytes);
        this.last = done;
        this.filled = 0;
      }
    }
  }
}

function decodeFailure(path: string, what: string, stderr: string, exitCode: number | null, nothingDecoded = false): MediaError {
  const summary = stderrSummary(stderr);
  const corrupt = nothingDecoded || /Invalid data|corrupt|error while decoding|partial file|End of file/i.test(stderr);
  const hint = nothingDecoded ? " (is the file truncated?)" : "";
  return new MediaError(
    corrupt ? "corrupt" : "ffmpeg_failed",
    `cannot decode ${what} of ${path}${hint}: ${summary || `ffmpeg exit code ${exitCode}`}`,
    { path, stderr },
  );
}
