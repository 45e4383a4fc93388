// Test media generated with ffmpeg's lavfi sources and sharp: nothing is downloaded or committed.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import type { RgbFrame } from "@scenecap/media";

const FFMPEG = process.env.FFMPEG_PATH || "ffmpeg";

export function ffmpeg(args: string[]): void {
  try {
    execFileSync(FFMPEG, ["-hide_banner", "-nostdin", "-v", "error", "-y", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    throw new Error(
      `ffmpeg could not generate a test clip (is ffmpeg installed? apt-get install ffmpeg, or set FFMPEG_PATH): ${String((err as { stderr?: Buffer }).stderr ?? err)}`,
    );
  }
}

export interface TempDir {
  dir: string;
  file(name: string): string;
  cleanup(): void;
}

export function tempDir(prefix: string): TempDir {
  const dir = mkdtempSync(join(tmpdir(), `scenecap-media-${prefix}-`));
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Red 2 s → blue 3 s → testsrc 2 s, 25 fps, with a sine audio track: hard cuts at 2 s and 5 s. */
export function makeCutsClip(path: string, { fps = 25, faststart = false } = {}): void {
  ffmpeg([
    "-f", "lavfi", "-i", `color=red:s=160x120:r=${fps}:d=2`,
    "-f", "lavfi", "-i", `color=blue:s=160x120:r=${fps}:d=3`,
    "-f", "lavfi", "-i", `testsrc=s=160x120:r=${fps}:d=2`,
    "-f", "lavfi", "-i", "sine=f=440:d=7",
    "-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]",
    "-map", "[v]", "-map", "3:a",
    "-c:v", "libx264", "-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
    ...(faststart ? ["-movflags", "+faststart"] : []),
    path,
  ]);
}

/** 160x120, red top half and blue bottom half, stored with a 90° display-rotation tag. */
export function makeRotatedClip(path: string, scratch: string): void {
  ffmpeg(["-f", "lavfi", "-i", "color=red:s=160x60:r=25:d=1,pad=160:120:0:0:blue", "-c:v", "libx264", "-pix_fmt", "yuv420p", scratch]);
  ffmpeg(["-i", scratch, "-c", "copy", "-metadata:s:v:0", "rotate=90", path]);
}

/** Variable frame rate: 2 s of red at 10 fps, then 2 s of green at 30 fps, timestamps passed through. */
export function makeVfrClip(path: string): void {
  ffmpeg([
    "-f", "lavfi", "-i", "color=red:s=64x48:r=10:d=2",
    "-f", "lavfi", "-i", "color=green:s=64x48:r=30:d=2",
    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]",
    "-fps_mode", "passthrough", "-c:v", "libx264", "-pix_fmt", "yuv420p", path,
  ]);
}

/** Animated GIF: 1 s red then 1 s blue at 10 fps. */
export function makeGif(path: string): void {
  ffmpeg([
    "-f", "lavfi", "-i", "color=red:s=64x48:r=10:d=1",
    "-f", "lavfi", "-i", "color=blue:s=64x48:r=10:d=1",
    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", path,
  ]);
}

export function makeAudioOnly(path: string): void {
  ffmpeg(["-f", "lavfi", "-i", "sine=f=440:d=2", "-c:a", "aac", path]);
}

export function makeTruncated(path: string, source: string, fraction: number): void {
  const bytes = readFileSync(source);
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

/** 40x20 image: red top half, blue bottom half, as raw RGB. */
export function redOverBlue(width = 40, height = 20): { data: Buffer; width: number; height: number } {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (y < height / 2) data[o] = 255;
      else data[o + 2] = 255;
    }
  }
  return { data, width, height };
}

export async function writeImages(t: TempDir): Promise<Record<"alphaPng" | "exifJpeg" | "png16" | "cmykJpeg" | "plainJpeg", string>> {
  const alpha = Buffer.alloc(20 * 10 * 4);
  for (let y = 0; y < 10; y++) {
    for (let x = 10; x < 20; x++) {
      const o = (y * 20 + x) * 4;
      alpha[o + 1] = 255; // opaque green on the right half; the left half stays fully transparent
      alpha[o + 3] = 255;
    }
  }
  const alphaPng = t.file("alpha.png");
  await sharp(alpha, { raw: { width: 20, height: 10, channels: 4 } }).png().toFile(alphaPng);

  const rb = redOverBlue();
  const exifJpeg = t.file("exif6.jpg");
  await sharp(rb.data, { raw: { width: rb.width, height: rb.height, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toFile(exifJpeg);
  const plainJpeg = t.file("plain.jpg");
  await sharp(rb.data, { raw: { width: rb.width, height: rb.height, channels: 3 } }).jpeg({ quality: 95 }).toFile(plainJpeg);

  const png16 = t.file("deep.png");
  await sharp({ create: { width: 16, height: 8, channels: 3, background: { r: 255, g: 128, b: 0 } } })
    .toColourspace("rgb16")
    .png()
    .toFile(png16);

  const cmykJpeg = t.file("cmyk.jpg");
  await sharp({ create: { width: 16, height: 8, channels: 3, background: { r: 220, g: 20, b: 20 } } })
    .toColourspace("cmyk")
    .jpeg({ quality: 95 })
    .toFile(cmykJpeg);
  return { alphaPng, exifJpeg, png16, cmykJpeg, plainJpeg };
}

/** The RGB value at (x, y). */
export function pixel(frame: RgbFrame, x: number, y: number): [number, number, number] {
  const o = (y * frame.width + x) * 3;
  return [frame.data[o]!, frame.data[o + 1]!, frame.data[o + 2]!];
}

/** Mean RGB of the whole frame. */
export function meanColour(frame: RgbFrame): [number, number, number] {
  const sum = [0, 0, 0];
  for (let i = 0; i < frame.data.length; i += 3) {
    sum[0]! += frame.data[i]!;
    sum[1]! += frame.data[i + 1]!;
    sum[2]! += frame.data[i + 2]!;
  }
  const n = frame.data.length / 3;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

/** True when the colour is within `tol` of the target on every channel. */
export function near(c: readonly number[], target: readonly number[], tol = 24): boolean {
  return c.length === target.length && c.every((v, i) => Math.abs(v - target[i]!) <= tol);
}

/** A WebM written to a pipe, as streamed recorders do: its header carries no duration. */
export function makeStreamedWebm(path: string): void {
  const out = execFileSync(FFMPEG, [
    "-hide_banner", "-nostdin", "-v", "error",
    "-f", "lavfi", "-i", "color=red:s=64x48:r=25:d=1.5",
    "-f", "lavfi", "-i", "color=blue:s=64x48:r=25:d=1.5",
    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]",
    "-c:v", "libvpx", "-deadline", "realtime", "-f", "webm", "pipe:1",
  ], { maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  writeFileSync(path, out);
}

/** The cuts clip remuxed to MPEG-TS, whose timestamps start at about 1.4 s instead of 0. */
export function makeTransportStream(path: string, source: string): void {
  ffmpeg(["-i", source, "-c", "copy", "-f", "mpegts", path]);
}

/** Animated GIF, 0.5 s red then 0.5 s blue, whose left half is transparent. */
export function makeTransparentGif(path: string): void {
  ffmpeg([
    "-f", "lavfi", "-i", "color=red:s=64x48:r=10:d=0.5",
    "-f", "lavfi", "-i", "color=blue:s=64x48:r=10:d=0.5",
    "-filter_complex",
    "[0:v][1:v]concat=n=2:v=1:a=0,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,32),0,255)',split[a][b];" +
      "[a]palettegen=reserve_transparent=1[p];[b][p]paletteuse=alpha_threshold=128",
    path,
  ]);
}

/** Two-frame GIF written by sharp with 0.5 s delays: red then blue (ffprobe gives it no average rate). */
export async function makeSlowGif(path: string): Promise<void> {
  const w = 20;
  const h = 10;
  const raw = Buffer.alloc(w * h * 2 * 4);
  for (let page = 0; page < 2; page++) {
    for (let i = 0; i < w * h; i++) {
      const o = (page * w * h + i) * 4;
      raw[o + (page === 0 ? 0 : 2)] = 255;
      raw[o + 3] = 255;
    }
  }
  await sharp(raw, { raw: { width: w, height: h * 2, channels: 4, pageHeight: h } }).gif({ delay: [500, 500] }).toFile(path);
}
