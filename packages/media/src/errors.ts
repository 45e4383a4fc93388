/** Why a media operation failed. Stable strings: callers branch on them (e.g. bad input → no retry). */
export type MediaErrorCode =
  | "not_found"
  | "empty_file"
  | "corrupt"
  | "no_video_stream"
  | "unsupported"
  | "ffmpeg_failed";

export interface MediaErrorOptions {
  /** The file (or a short description of an in-memory input) the error is about. */
  path?: string;
  /** The last lines ffmpeg/ffprobe wrote to stderr, when a child process was involved. */
  stderr?: string;
  cause?: unknown;
}

/**
 * The one error type this package throws for bad media or a failing ffmpeg. The message always names
 * the file. Codes other than `ffmpeg_failed` mean the input itself is unusable: retrying will not help.
 */
export class MediaError extends Error {
  readonly code: MediaErrorCode;
  readonly path: string | undefined;
  readonly stderr: string | undefined;

  constructor(code: MediaErrorCode, message: string, options: MediaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MediaError";
    this.code = code;
    this.path = options.path;
    this.stderr = options.stderr;
  }

  /** True when the input can never be processed (as opposed to a tool failure that may be transient). */
  get isBadInput(): boolean {
    return this.code !== "ffmpeg_failed";
  }
}
