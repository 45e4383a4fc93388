/** Where the ffmpeg tools live and how long a child process may run. */
export interface MediaConfig {
  /** ffmpeg binary. @defaultValue `process.env.FFMPEG_PATH ?? "ffmpeg"` (looked up on PATH) */
  ffmpegPath: string;
  /** ffprobe binary. @defaultValue `process.env.FFPROBE_PATH ?? "ffprobe"` */
  ffprobePath: string;
  /** Time limit for one ffprobe run, in ms. @defaultValue 60_000 */
  probeTimeoutMs: number;
  /** Time limit for one ffmpeg run (scene detection or one batch of frames), in ms. @defaultValue 600_000 */
  ffmpegTimeoutMs: number;
}

let overrides: Partial<MediaConfig> = {};

/** Override the defaults for the whole process (tests, the CLI). Pass `{}` to go back to the defaults. */
export function configureMedia(config: Partial<MediaConfig>): void {
  overrides = { ...config };
}

/** The effective configuration: overrides, then environment variables, then defaults. */
export function mediaConfig(): MediaConfig {
  return {
    ffmpegPath: overrides.ffmpegPath ?? (process.env.FFMPEG_PATH || "ffmpeg"),
    ffprobePath: overrides.ffprobePath ?? (process.env.FFPROBE_PATH || "ffprobe"),
    probeTimeoutMs: overrides.probeTimeoutMs ?? 60_000,
    ffmpegTimeoutMs: overrides.ffmpegTimeoutMs ?? 600_000,
  };
}

/** Options every long-running call accepts. */
export interface RunOptions {
  /** Kill the child process after this many ms. @defaultValue the configured limit for the tool */
  timeoutMs?: number;
  /** Abort the call (the child process is killed). */
  signal?: AbortSignal;
}
