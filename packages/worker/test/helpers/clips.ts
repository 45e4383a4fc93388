import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

async function ffmpeg(args: string[]): Promise<void> {
  try {
    await run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args]);
  } catch (err) {
    throw new Error(`ffmpeg is needed to generate test clips (install ffmpeg): ${(err as Error).message}`);
  }
}

/**
 * A 6 s 160×120 clip with hard cuts at 2 s and 4 s (red → test pattern → blue) and a 440 Hz audio track.
 */
export async function sceneClip(dir: string, name = "scenes.mp4"): Promise<string> {
  const out = join(dir, name);
  await ffmpeg([
    "-f", "lavfi", "-i", "color=c=red:s=160x120:r=10:d=2",
    "-f", "lavfi", "-i", "testsrc=s=160x120:r=10:d=2",
    "-f", "lavfi", "-i", "color=c=blue:s=160x120:r=10:d=2",
    "-f", "lavfi", "-i", "sine=f=440:d=6",
    "-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]",
    "-map", "[v]", "-map", "3:a", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "10", "-c:a", "aac", "-shortest", out,
  ]);
  return out;
}

/** A test-pattern video of `seconds` at the given size (benchmarks). */
export async function patternClip(dir: string, seconds: number, size = "160x120", name = "pattern.mp4"): Promise<string> {
  const out = join(dir, name);
  await ffmpeg(["-f", "lavfi", "-i", `testsrc2=s=${size}:r=25:d=${seconds}`, "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", out]);
  return out;
}

export async function pngImage(dir: string, name = "still.png"): Promise<string> {
  const out = join(dir, name);
  await ffmpeg(["-f", "lavfi", "-i", "testsrc=s=200x150:d=1", "-frames:v", "1", out]);
  return out;
}

export async function audioOnly(dir: string, name = "tone.m4a"): Promise<string> {
  const out = join(dir, name);
  await ffmpeg(["-f", "lavfi", "-i", "sine=f=440:d=2", "-c:a", "aac", out]);
  return out;
}

export async function corruptFile(dir: string, name = "corrupt.mp4"): Promise<string> {
  const out = join(dir, name);
  const junk = Buffer.alloc(8192);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) % 251;
  await writeFile(out, junk);
  return out;
}

export async function emptyFile(dir: string, name = "empty.mp4"): Promise<string> {
  const out = join(dir, name);
  await writeFile(out, Buffer.alloc(0));
  return out;
}
