import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The tiny BLIP-2 checkpoint (a real model of a few MB), used as `model_id` by absolute path. */
export const TINY_MODEL_DIR = fileURLToPath(new URL("../../blip2/test/fixtures/blip2-tiny", import.meta.url));
export const CLI_MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), `scenecap-cli-${prefix}-`));
export const uniq = (prefix: string) => `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

/** 7 s clip, 160×120 at 10 fps, hard cuts at 2 s and 4 s (red → test pattern → blue), with an audio track. */
export async function cutClip(dir: string): Promise<string> {
  const out = join(dir, "cuts.mp4");
  await promisify(execFile)("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "color=c=red:s=160x120:r=10:d=2",
    "-f", "lavfi", "-i", "testsrc=s=160x120:r=10:d=2",
    "-f", "lavfi", "-i", "color=c=blue:s=160x120:r=10:d=3",
    "-f", "lavfi", "-i", "sine=f=440:d=7",
    "-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]",
    "-map", "[v]", "-map", "3:a", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "10", "-c:a", "aac", "-shortest", out,
  ]).catch((err: Error) => {
    throw new Error(`ffmpeg is needed to generate test clips (apt-get install ffmpeg): ${err.message}`);
  });
  return out;
}

/** Serves files of one directory on 127.0.0.1 (the "remote" video host of the tests). */
export async function serveDir(dir: string): Promise<{ url: (file: string) => string; close: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const file = join(dir, basename(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    try {
      const info = await stat(file);
      res.writeHead(200, { "content-type": "video/mp4", "content-length": info.size });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (file) => `http://127.0.0.1:${port}/${file}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A plain test-pattern clip of `seconds` (many segments at a 1 s interval). */
export async function longClip(dir: string, seconds: number): Promise<string> {
  const out = join(dir, `pattern-${seconds}s.mp4`);
  await promisify(execFile)("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", `testsrc2=s=160x120:r=10:d=${seconds}`,
    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "10", out,
  ]);
  return out;
}
