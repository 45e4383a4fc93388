import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { mediaConfig, type RunOptions } from "./config.js";
import { MediaError } from "./errors.js";

const STDERR_KEEP = 16 * 1024;

export interface ProcessSpec {
  bin: string;
  args: string[];
  /** Which tool this is, for messages ("ffmpeg", "ffprobe"). */
  tool: string;
  /** File the run is about, for messages. */
  path: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Extra output pipes beyond stdout: fds 3 … 3+extraPipes-1. */
  extraPipes?: number;
  /** Called for each chunk on stdout (fd 1) or an extra pipe (fd ≥ 3). Throwing kills the child. */
  onData?: (fd: number, chunk: Buffer) => void;
}

export interface ProcessResult {
  exitCode: number | null;
  /** The last 16 KiB of stderr. */
  stderr: string;
}

/**
 * Runs a tool with an argument array (never a shell), streams its output pipes to `onData`, keeps only the
 * tail of stderr, and guarantees the child is gone when the promise settles: on timeout, abort, or an error
 * thrown by `onData` it is killed with SIGKILL and the promise rejects.
 */
export function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  return new Promise<ProcessResult>((resolve, reject) => {
    if (spec.signal?.aborted) {
      reject(spec.signal.reason);
      return;
    }
    const extra = spec.extraPipes ?? 0;
    const stdio: ("ignore" | "pipe")[] = ["ignore", "pipe", "pipe"];
    for (let i = 0; i < extra; i++) stdio.push("pipe");

    let failure: unknown = null;
    let stderr = "";
    let settled = false;
    const child = spawn(spec.bin, spec.args, { stdio, windowsHide: true });

    const kill = (reason: unknown) => {
      if (failure === null) failure = reason;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    const timer = setTimeout(() => {
      kill(
        new MediaError(
          "ffmpeg_failed",
          `${spec.tool} took longer than ${spec.timeoutMs} ms on ${spec.path} and was stopped`,
          { path: spec.path, stderr },
        ),
      );
    }, spec.timeoutMs);
    const onAbort = () => kill(spec.signal?.reason ?? new Error("aborted"));
    spec.signal?.addEventListener("abort", onAbort, { once: true });

    const finish = (err: unknown, result?: ProcessResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onAbort);
      if (err !== null) reject(err);
      else resolve(result!);
    };

    child.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" || err.code === "EACCES") {
        const envName = spec.tool === "ffprobe" ? "FFPROBE_PATH" : "FFMPEG_PATH";
        finish(
          new MediaError(
            "ffmpeg_failed",
            `cannot run ${spec.tool} ("${spec.bin}": ${err.code}); install ffmpeg or set ${envName}`,
            { path: spec.path, cause: err },
          ),
        );
        return;
      }
      kill(err);
    });

    const stderrStream = child.stdio[2] as Readable | null;
    stderrStream?.setEncoding("utf8");
    stderrStream?.on("data", (s: string) => {
      stderr += s;
      if (stderr.length > STDERR_KEEP * 2) stderr = stderr.slice(-STDERR_KEEP);
    });

    const attach = (fd: number) => {
      const stream = child.stdio[fd] as Readable | null;
      if (!stream) return;
      stream.on("data", (chunk: Buffer) => {
        if (failure !== null || !spec.onData) return;
        try {
          spec.onData(fd, chunk);
        } catch (err) {
          kill(err);
        }
      });
      // A reader that closes early (EPIPE) is not our error; the exit status tells what happened.
      stream.on("error", () => {});
    };
    attach(1);
    for (let i = 0; i < extra; i++) attach(3 + i);

    child.on("close", (exitCode) => {
      if (failure !== null) {
        finish(failure);
        return;
      }
      finish(null, { exitCode, stderr: stderr.slice(-STDERR_KEEP) });
    });
  });
}

/** The most telling lines of an ffmpeg stderr, for an error message. */
export function stderrSummary(stderr: string, maxLines = 3): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.slice(-maxLines).join(" | ");
}

/** Where a tool run's output goes. */
type ToolOutput = Pick<ProcessSpec, "extraPipes" | "onData">;

/**
 * Runs the configured ffmpeg on `path` quietly (no banner, no stdin, no progress, errors only), then `args`.
 * The timeout defaults to the configured ffmpeg limit.
 */
export function runFfmpeg(path: string, args: string[], options: RunOptions, output: ToolOutput = {}): Promise<ProcessResult> {
  const cfg = mediaConfig();
  return runProcess({
    bin: cfg.ffmpegPath,
    tool: "ffmpeg",
    path,
    timeoutMs: options.timeoutMs ?? cfg.ffmpegTimeoutMs,
    signal: options.signal,
    ...output,
    args: ["-hide_banner", "-nostdin", "-nostats", "-v", "error", ...args],
  });
}

/** Runs the configured ffprobe on `path` with `args`; the timeout defaults to the configured probe limit. */
export function runFfprobe(path: string, args: string[], options: RunOptions, output: ToolOutput = {}): Promise<ProcessResult> {
  const cfg = mediaConfig();
  return runProcess({
    bin: cfg.ffprobePath,
    tool: "ffprobe",
    path,
    timeoutMs: options.timeoutMs ?? cfg.probeTimeoutMs,
    signal: options.signal,
    ...output,
    args,
  });
}

/**
 * An `onData` handler that cuts a text stream into lines and hands each to `take`; `flush()`, once the
 * process has ended, hands over a last line that had no newline.
 */
export function lineReader(take: (line: string) => void): { onData: (fd: number, chunk: Buffer) => void; flush: () => void } {
  let pending = "";
  return {
    onData: (_fd, chunk) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) take(line);
    },
    flush: () => {
      if (pending) take(pending);
      pending = "";
    },
  };
}
