// Times the media half of ingestion on a 10-minute 720p clip: probe, segment planning (time and scene),
// and representative-frame extraction. The clip is generated once and cached under .bench/ at the repo root.
//   npm run bench -w @scenecap/media            (BENCH_CLIP=/path/to/video to time another file)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { extractFrames, ffmpegVersion, planSegments, probeMedia, benchSampleFrames, type Segment } from "@scenecap/media";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const cacheDir = join(root, ".bench");
const DURATION = 600;

function generateClip(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  console.log(`generating ${DURATION / 60}-minute 1280x720 clip (once, cached) …`);
  const started = performance.now();
  // testsrc2 with a hard cut every 8 s (alternately negated) and a slower hue drift between cuts' pairs.
  const tmp = `${path}.partial.mp4`;
  execFileSync(
    process.env.FFMPEG_PATH || "ffmpeg",
    [
      "-hide_banner", "-nostdin", "-v", "error", "-y",
      "-f", "lavfi", "-i", `testsrc2=s=1280x720:r=25:d=${DURATION}`,
      "-f", "lavfi", "-i", `sine=f=330:d=${DURATION}`,
      "-vf", "negate=enable='mod(floor(t/8),2)',hue=h='40*floor(t/16)'",
      "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p",
      "-c:a", "aac", "-b:a", "64k", "-shortest",
      tmp,
    ],
    { stdio: "inherit" },
  );
  renameSync(tmp, path);
  console.log(`  generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const ms = (x: number) => `${x.toFixed(0)} ms`;

/** CPU seconds used by finished child processes (ffmpeg/ffprobe), from /proc on Linux; null elsewhere. */
function childCpuSec(): number | null {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 of stat (cutime, cstime), in clock ticks (100 per second on Linux).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

let lastCpu = "";
async function timeIt<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const c0 = childCpuSec();
  const t0 = performance.now();
  const out = await fn();
  const c1 = childCpuSec();
  lastCpu = c0 !== null && c1 !== null ? `, ffmpeg CPU ${(c1 - c0).toFixed(1)} s` : "";
  return [out, performance.now() - t0];
}

async function main(): Promise<void> {
  const clip = process.env.BENCH_CLIP ?? join(cacheDir, "media-10min-720p.mp4");
  if (!process.env.BENCH_CLIP && !existsSync(clip)) generateClip(clip);
  console.log(`ffmpeg ${await ffmpegVersion()}  clip ${clip}  (${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(1)})`);

  // (a) probe
  const probeTimes: number[] = [];
  let probe = await probeMedia(clip);
  for (let i = 0; i < 5; i++) {
    const [p, t] = await timeIt(() => probeMedia(clip));
    probe = p;
    probeTimes.push(t);
  }
  probeTimes.sort((a, b) => a - b);
  console.log(`(a) probe: median ${ms(probeTimes[2]!)}  → ${probe.width}x${probe.height} ${probe.durationSec?.toFixed(1)} s ${probe.fps?.toFixed(2)} fps vfr=${probe.variableFrameRate}`);

  // (b) planning
  const [timeSegs, tTime] = await timeIt(() => planSegments(clip, probe, { splitMethod: "time", timeSplitInterval: 10 }));
  console.log(`(b) planSegments time 10 s: ${timeSegs.length} segments in ${ms(tTime)}`);
  const [sceneSegs, tScene] = await timeIt(() => planSegments(clip, probe, { splitMethod: "scene" }));
  const decodedFps = ((probe.durationSec ?? 0) * (probe.fps ?? 0)) / (tScene / 1000);
  console.log(`    planSegments scene 0.3: ${sceneSegs.length} segments in ${ms(tScene)} (${decodedFps.toFixed(0)} decoded frames/s${lastCpu})`);

  // (c) extraction of the sampled mid-segment frames
  const runs: { label: string; segs: Segment[]; maxWidth?: number; batchSize?: number; concurrency?: number; seekMode?: "exact" | "keyframe" }[] = [
    { label: "time 10 s, exact,    1280 px, batch 8 ", segs: timeSegs },
    { label: "time 10 s, exact,     640 px, batch 8 ", segs: timeSegs, maxWidth: 640 },
    { label: "time 10 s, exact,     640 px, batch 1 ", segs: timeSegs, maxWidth: 640, batchSize: 1 },
    { label: "time 10 s, exact,     640 px, batch 16", segs: timeSegs, maxWidth: 640, batchSize: 16 },
    { label: "time 10 s, exact,     640 px, batch 8, 2 processes", segs: timeSegs, maxWidth: 640, concurrency: 2 },
    { label: "time 10 s, keyframe,  640 px, batch 8 ", segs: timeSegs, maxWidth: 640, seekMode: "keyframe" },
    { label: "scene,     exact,     640 px, batch 8 ", segs: sceneSegs, maxWidth: 640 },
  ];
  for (const r of runs) {
    const times = r.segs.flatMap((s) => s.frameTimes);
    const [frames, t] = await timeIt(() =>
      extractFrames(clip, times, {
        probe,
        ...(r.maxWidth ? { maxWidth: r.maxWidth } : {}),
        ...(r.batchSize ? { batchSize: r.batchSize } : {}),
        ...(r.seekMode ? { seekMode: r.seekMode } : {}),
        ...(r.concurrency ? { concurrency: r.concurrency } : {}),
      }),
    );
    console.log(`(c) extractFrames ${r.label}: ${frames.length} frames in ${ms(t)} → ${((frames.length * 1000) / t).toFixed(1)} frames/s${lastCpu}`);
  }

  // The end-to-end media step the worker's pipeline bench compares against.
  const all = await benchSampleFrames(clip, { splitMethod: "time", timeSplitInterval: 10, maxWidth: 640 });
  console.log(
    `benchSampleFrames (time 10 s, 640 px): probe ${ms(all.probeMs)} + plan ${ms(all.planMs)} + extract ${ms(all.extractMs)} = ${ms(all.totalMs)}; ${all.frames} frames, ${all.framesPerSec.toFixed(1)} frames/s`,
  );
  const mem = process.memoryUsage();
  console.log(`peak-ish memory now: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
