import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { configureMedia, extractFrames, ffmpegVersion, MediaError, planSegments, probeMedia } from "@scenecap/media";
import { makeAudioOnly, makeCutsClip, makeTruncated, tempDir } from "./fixtures.js";

const t = tempDir("errors");
const f = {
  clip: t.file("cuts.mp4"),
  faststart: t.file("faststart.mp4"),
  audio: t.file("audio.m4a"),
  empty: t.file("empty.mp4"),
  junk: t.file("junk.mp4"),
  truncatedTail: t.file("truncated-tail.mp4"),
  truncatedData: t.file("truncated-data.mp4"),
  missing: t.file("missing.mp4"),
};

beforeAll(() => {
  makeCutsClip(f.clip);
  makeCutsClip(f.faststart, { faststart: true });
  makeAudioOnly(f.audio);
  writeFileSync(f.empty, "");
  const junk = Buffer.alloc(4096);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) % 251;
  writeFileSync(f.junk, junk);
  makeTruncated(f.truncatedTail, f.clip, 0.5); // index (moov) at the end: lost
  makeTruncated(f.truncatedData, f.faststart, 0.5); // index up front, second half of the data lost
});
afterAll(() => t.cleanup());
afterEach(() => configureMedia({}));

/** Processes whose command line mentions `needle` (Linux /proc), to prove no child outlives its call. */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(needle)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

async function failure(p: Promise<unknown>): Promise<MediaError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaError);
  return err as MediaError;
}

describe("bad input gives a MediaError naming the file", () => {
  it.each([
    ["missing", "not_found"],
    ["empty", "empty_file"],
    ["junk", "corrupt"],
    ["audio", "no_video_stream"],
    ["truncatedTail", "corrupt"],
  ] as const)("%s → %s", async (name, code) => {
    const err = await failure(probeMedia(f[name]));
    expect(err.code).toBe(code);
    expect(err.message).toContain(f[name]);
    expect(err.path).toBe(f[name]);
    expect(err.isBadInput).toBe(true);
  });

  it("extractFrames reports frames lost to truncation as corrupt, while earlier frames decode", async () => {
    const probe = await probeMedia(f.truncatedData);
    expect(probe.durationSec).toBeCloseTo(7, 1); // the header still promises the whole clip
    const [early] = await extractFrames(f.truncatedData, [0.5], { probe });
    expect(early!.data.byteLength).toBe(160 * 120 * 3);
    const err = await failure(extractFrames(f.truncatedData, [6.5], { probe }));
    expect(err.code).toBe("corrupt");
    expect(err.message).toContain(f.truncatedData);
    expect(err.message).toContain("6.500");
  });

  it("extractFrames on an audio-only file fails with no_video_stream", async () => {
    const err = await failure(extractFrames(f.audio, [0.5]));
    expect(err.code).toBe("no_video_stream");
  });
});

describe("child processes", () => {
  it("kills ffmpeg when it runs past the timeout", async () => {
    const probe = await probeMedia(f.clip);
    const started = Date.now();
    const err = await failure(planSegments(f.clip, probe, { splitMethod: "scene", timeoutMs: 1 }));
    expect(err.code).toBe("ffmpeg_failed");
    expect(err.message).toMatch(/longer than 1 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(processesMentioning(f.clip)).toEqual([]);
  });

  it("stops when the caller aborts", async () => {
    const controller = new AbortController();
    const p = extractFrames(f.clip, [1, 2, 3], { signal: controller.signal });
    controller.abort(new Error("caller gave up"));
    await expect(p).rejects.toThrow("caller gave up");
    expect(processesMentioning(f.clip)).toEqual([]);
  });

  it("says how to fix a missing ffmpeg binary, from configuration or FFMPEG_PATH", async () => {
    configureMedia({ ffmpegPath: t.file("no-such-ffmpeg") });
    let err = await failure(ffmpegVersion());
    expect(err.message).toMatch(/FFMPEG_PATH/);

    configureMedia({});
    const saved = process.env.FFPROBE_PATH;
    process.env.FFPROBE_PATH = t.file("no-such-ffprobe");
    try {
      err = await failure(probeMedia(f.clip));
      expect(err.code).toBe("ffmpeg_failed");
      expect(err.message).toMatch(/FFPROBE_PATH/);
      expect(err.isBadInput).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.FFPROBE_PATH;
      else process.env.FFPROBE_PATH = saved;
    }
  });

  it("reports the ffmpeg version", async () => {
    expect(await ffmpegVersion()).toMatch(/^\S*\d+\.\d+/);
  });
});
