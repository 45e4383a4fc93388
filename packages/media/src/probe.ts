import { stat } from "node:fs/promises";
import sharp, { type Metadata } from "sharp";
import type { RunOptions } from "./config.js";
import { MediaError } from "./errors.js";
import { lineReader, runFfprobe, stderrSummary } from "./process.js";

/** What ffprobe (or, for still images, sharp) says about a file. */
export interface MediaProbe {
  /** Animated GIF → "video"; single-frame image → "image". */
  kind: "video" | "image";
  /** Seconds; null for still images. */
  durationSec: number | null;
  /** Display size: after rotation (and, for video, after non-square pixel aspect correction). */
  width: number;
  height: number;
  /** Clockwise degrees applied for display (0, 90, 180, 270), from the display matrix, the `rotate` tag or EXIF. */
  rotation: number;
  /** Average frame rate; null for still images. */
  fps: number | null;
  variableFrameRate: boolean;
  hasAudio: boolean;
  videoCodec: string | null;
  formatName: string;
  /** Presentation time of the first frame in the container, in seconds (usually 0). Segment times are relative to it. */
  startTimeSec?: number;
  /** Size of the stored frames before rotation (coded width × height). */
  codedWidth?: number;
  codedHeight?: number;
}

interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  start_time?: string;
  nb_frames?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number | string }[];
}
interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; start_time?: string; tags?: Record<string, string> };
  packets?: { stream_index?: number; pts_time?: string }[];
}

const HEIF_BRANDS = new Set(["heic", "heix", "heim", "heis", "mif1", "msf1", "avif"]);

/** Packets read to judge whether the frame rate is variable (all streams together). */
const VFR_SAMPLE_PACKETS = 300;

const ENTRIES = [
  "format=format_name,duration,start_time",
  "stream=index,codec_type,codec_name,width,height,sample_aspect_ratio,avg_frame_rate,r_frame_rate,duration,start_time,nb_frames",
  "stream_disposition=attached_pic",
  "stream_tags=rotate",
  "stream_side_data=rotation",
  "format_tags=major_brand",
  "packet=stream_index,pts_time",
].join(":");

/** Checks that `path` is a non-empty regular file; throws `not_found` / `empty_file` otherwise. */
export async function assertReadableFile(path: string): Promise<number> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new MediaError("not_found", `${path} is not a regular file`, { path });
    size = st.size;
  } catch (err) {
    if (err instanceof MediaError) throw err;
    throw new MediaError("not_found", `media file not found: ${path}`, { path, cause: err });
  }
  if (size === 0) throw new MediaError("empty_file", `media file is empty (0 bytes): ${path}`, { path });
  return size;
}

/**
 * Probes a video, animated GIF or image. One ffprobe run reads the container header and the first few
 * hundred packets (to tell constant from variable frame rate); still images are then measured with sharp so
 * that EXIF orientation is honoured.
 */
export async function probeMedia(path: string, options: RunOptions = {}): Promise<MediaProbe> {
  await assertReadableFile(path);
  let stdout = "";
  const result = await runFfprobe(
    path,
    [
      "-v", "error",
      "-hide_banner",
      "-read_intervals", `%+#${VFR_SAMPLE_PACKETS}`,
      "-show_entries", ENTRIES,
      "-of", "json",
      "--", path,
    ],
    options,
    {
      onData: (_fd, chunk) => {
        stdout += chunk.toString("utf8");
        if (stdout.length > 8 * 1024 * 1024) throw new MediaError("corrupt", `ffprobe output for ${path} is implausibly large`, { path });
      },
    },
  );

  if (result.exitCode !== 0) {
    // ffmpeg does not know every still-image format sharp does (HEIF/AVIF in some builds): try sharp first.
    const image = await probeImageWithSharp(path, "unknown");
    if (image) return image;
    throw classifyProbeFailure(path, result.stderr);
  }

  let parsed: FfprobeOutput;
  try {
    parsed = JSON.parse(stdout) as FfprobeOutput;
  } catch (err) {
    throw new MediaError("ffmpeg_failed", `ffprobe printed unreadable JSON for ${path}`, { path, cause: err, stderr: result.stderr });
  }
  const formatName = parsed.format?.format_name ?? "unknown";
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1 && (s.width ?? 0) > 0);
  const hasAudio = streams.some((s) => s.codec_type === "audio");

  if (!video) {
    const image = await probeImageWithSharp(path, formatName);
    if (image) return image;
    if (hasAudio) throw new MediaError("no_video_stream", `${path} has audio but no video stream`, { path });
    throw new MediaError("no_video_stream", `${path} (${formatName}) has no video stream`, { path });
  }

  // HEIF/AVIF stills live in an ISO-BMFF container that ffmpeg shows as a tiled video: let sharp have them.
  const brand = (parsed.format?.tags?.major_brand ?? "").trim().toLowerCase();
  if (HEIF_BRANDS.has(brand)) {
    const image = await probeImageWithSharp(path, formatName);
    if (image) return image;
    throw new MediaError("unsupported", `${path} is a HEIF/AVIF image (brand "${brand}") this build cannot decode; convert it to JPEG or PNG`, { path });
  }

  const frameCount = parseIntOrNull(video.nb_frames);
  if (isStillImageFormat(formatName, frameCount)) {
    const image = await probeImageWithSharp(path, formatName);
    if (image) return image;
    // sharp cannot read it but ffmpeg can (e.g. an exotic codec): describe it from ffprobe.
    const rotation = rotationOf(video);
    const [w, h] = displaySize(video, rotation);
    return {
      kind: "image", durationSec: null, width: w, height: h, rotation, fps: null, variableFrameRate: false,
      hasAudio: false, videoCodec: video.codec_name ?? null, formatName, startTimeSec: 0,
      codedWidth: video.width ?? w, codedHeight: video.height ?? h,
    };
  }

  const rotation = rotationOf(video);
  const [width, height] = displaySize(video, rotation);
  const startTimeSec = parseFiniteOrNull(parsed.format?.start_time) ?? parseFiniteOrNull(video.start_time) ?? 0;
  // Streamed recordings (MediaRecorder WebM, piped Matroska) carry no duration: read it from the packets.
  const durationSec =
    parsePositive(parsed.format?.duration) ??
    parsePositive(video.duration) ??
    (await scanDuration(path, startTimeSec, options));
  if (durationSec === null) {
    throw new MediaError("corrupt", `${path}: the video stream has no duration and no timestamped packets (truncated?)`, { path });
  }
  const avg = parseRate(video.avg_frame_rate);
  const base = parseRate(video.r_frame_rate);
  // GIFs and some VFR files have no average rate, and their r_frame_rate is a time-base artefact (100 for
  // GIF): count frames over the duration instead.
  const counted = frameCount !== null && frameCount > 0 ? frameCount / durationSec : null;
  const fps = avg ?? counted ?? base;

  return {
    kind: "video",
    durationSec,
    width,
    height,
    rotation,
    fps,
    variableFrameRate: isVariableFrameRate(video, parsed.packets ?? [], avg ?? counted, base),
    hasAudio,
    videoCodec: video.codec_name ?? null,
    formatName,
    startTimeSec,
    codedWidth: video.width ?? width,
    codedHeight: video.height ?? height,
  };
}

/** Duration from the end of the last video packet (demuxing only, no decoding). */
async function scanDuration(path: string, startTimeSec: number, options: RunOptions): Promise<number | null> {
  let end = -Infinity;
  const lines = lineReader((line) => {
    const [pts, dur] = line.split(",").map(Number);
    if (pts !== undefined && Number.isFinite(pts)) end = Math.max(end, pts + (dur !== undefined && Number.isFinite(dur) ? dur : 0));
  });
  const result = await runFfprobe(
    path,
    ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", "--", path],
    options,
    { onData: lines.onData },
  );
  lines.flush();
  if (result.exitCode !== 0 || !Number.isFinite(end)) return null;
  const duration = end - startTimeSec;
  return duration > 0 ? Math.round(duration * 1e6) / 1e6 : null;
}

function classifyProbeFailure(path: string, stderr: string): MediaError {
  const summary = stderrSummary(stderr);
  if (/Invalid data found|moov atom not found|could not find codec parameters|Unknown format|End of file|partial file/i.test(stderr)) {
    return new MediaError("corrupt", `${path} is not a readable media file (${summary || "ffprobe failed"})`, { path, stderr });
  }
  if (/No such file|Permission denied/i.test(stderr)) {
    return new MediaError("not_found", `cannot open ${path} (${summary})`, { path, stderr });
  }
  return new MediaError("ffmpeg_failed", `ffprobe failed on ${path}: ${summary || "no message"}`, { path, stderr });
}

function isStillImageFormat(formatName: string, frameCount: number | null): boolean {
  // ffmpeg cannot decode animated WebP: every WebP is an image (its first frame).
  if (formatName === "webp_pipe") return true;
  if (formatName === "gif" || formatName === "apng") {
    return frameCount === null ? false : frameCount <= 1;
  }
  return formatName === "image2" || formatName.endsWith("_pipe");
}

/** Measures a still image with sharp (EXIF orientation applied). Returns null when sharp cannot read it. */
async function probeImageWithSharp(path: string, formatName: string): Promise<MediaProbe | null> {
  let meta: Metadata;
  try {
    meta = await sharp(path, { failOn: "none" }).metadata();
  } catch {
    return null;
  }
  if (!meta.width || !meta.height) return null;
  // Animated images that reach here (ffmpeg could not read them) are treated as their first frame.
  const orientation = meta.orientation ?? 1;
  const rotation = orientation === 3 || orientation === 4 ? 180 : orientation === 5 || orientation === 6 ? 90 : orientation === 7 || orientation === 8 ? 270 : 0;
  const swap = rotation === 90 || rotation === 270;
  return {
    kind: "image",
    durationSec: null,
    width: swap ? meta.height : meta.width,
    height: swap ? meta.width : meta.height,
    rotation,
    fps: null,
    variableFrameRate: false,
    hasAudio: false,
    videoCodec: meta.format ?? null,
    formatName: formatName === "unknown" ? (meta.format ?? "unknown") : formatName,
    startTimeSec: 0,
    codedWidth: meta.width,
    codedHeight: meta.height,
  };
}

/** Clockwise display rotation, normalised to 0/90/180/270. */
function rotationOf(stream: FfprobeStream): number {
  let cw: number | null = null;
  for (const sd of stream.side_data_list ?? []) {
    const r = Number(sd.rotation);
    // ffprobe prints the display matrix angle counter-clockwise.
    if (sd.rotation !== undefined && Number.isFinite(r)) cw = -r;
  }
  if (cw === null && stream.tags?.rotate !== undefined) {
    const r = Number(stream.tags.rotate);
    if (Number.isFinite(r)) cw = r;
  }
  if (cw === null) return 0;
  return ((Math.round(cw / 90) * 90) % 360 + 360) % 360;
}

function displaySize(stream: FfprobeStream, rotation: number): [number, number] {
  let w = stream.width ?? 0;
  const h = stream.height ?? 0;
  const sar = parseRate(stream.sample_aspect_ratio?.replace(":", "/"));
  if (sar !== null && Math.abs(sar - 1) > 1e-3) w = Math.max(2, Math.round((w * sar) / 2) * 2);
  return rotation === 90 || rotation === 270 ? [h, w] : [w, h];
}

function isVariableFrameRate(
  video: FfprobeStream,
  packets: NonNullable<FfprobeOutput["packets"]>,
  avg: number | null,
  base: number | null,
): boolean {
  if (avg !== null && base !== null && Math.abs(avg - base) / base > 0.01) return true;
  const pts = packets
    .filter((p) => p.stream_index === video.index)
    .map((p) => Number(p.pts_time))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b);
  if (pts.length < 3) return false;
  const deltas: number[] = [];
  for (let i = 1; i < pts.length; i++) {
    const d = pts[i]! - pts[i - 1]!;
    if (d > 0) deltas.push(d);
  }
  if (deltas.length < 2) return false;
  const median = [...deltas].sort((a, b) => a - b)[Math.floor(deltas.length / 2)]!;
  // Timestamps are rounded to the time base, and the sample may end between reordered (B-)frames: allow
  // jitter and a couple of odd gaps before calling the rate variable.
  const odd = deltas.filter((d) => Math.abs(d - median) > Math.max(0.002, median * 0.1)).length;
  return odd > Math.max(2, deltas.length * 0.05);
}

function parseRate(s: string | undefined): number | null {
  if (!s) return null;
  const [n, d] = s.split("/").map(Number);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return null;
  const v = d === undefined ? n : d > 0 ? n / d : NaN;
  return Number.isFinite(v) && v > 0 ? v : null;
}
function parsePositive(s: string | undefined): number | null {
  const v = Number(s);
  return s !== undefined && Number.isFinite(v) && v > 0 ? v : null;
}
function parseFiniteOrNull(s: string | undefined): number | null {
  const v = Number(s);
  return s !== undefined && s !== "" && Number.isFinite(v) ? v : null;
}
function parseIntOrNull(s: string | undefined): number | null {
  const v = Number.parseInt(s ?? "", 10);
  return Number.isFinite(v) ? v : null;
}
