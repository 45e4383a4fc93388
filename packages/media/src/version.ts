import { mediaConfig, type RunOptions } from "./config.js";
import { MediaError } from "./errors.js";
import { runProcess } from "./process.js";

/** The ffmpeg version string (e.g. "5.1.6-0+deb12u1"); fails with a clear message when ffmpeg cannot run. */
export async function ffmpegVersion(options: RunOptions = {}): Promise<string> {
  const cfg = mediaConfig();
  let out = "";
  const result = await runProcess({
    bin: cfg.ffmpegPath,
    tool: "ffmpeg",
    path: cfg.ffmpegPath,
    timeoutMs: options.timeoutMs ?? cfg.probeTimeoutMs,
    signal: options.signal,
    args: ["-hide_banner", "-version"],
    onData: (_fd, chunk) => {
      if (out.length < 64 * 1024) out += chunk.toString("utf8");
    },
  });
  const m = /^ffmpeg version (\S+)/m.exec(out);
  if (result.exitCode !== 0 || !m) {
    throw new MediaError("ffmpeg_failed", `"${cfg.ffmpegPath} -version" did not report an ffmpeg version (exit code ${result.exitCode})`, {
      path: cfg.ffmpegPath,
      stderr: result.stderr,
    });
  }
  return m[1]!;
}
