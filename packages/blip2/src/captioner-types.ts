import type { LoadModelOptions } from "./model-types.js";

/**
 * The public API the worker and the CLI call: load once, caption/answer batches, dispose.
 */

/** An encoded image (PNG/JPEG/WebP/GIF… bytes), or raw interleaved pixels (e.g. an ffmpeg rgb24 frame). */
export type ImageInput =
  | Uint8Array
  | { data: Uint8Array; width: number; height: number; channels: 1 | 2 | 3 | 4 };

export interface GenerateOptions {
  /** Text after the query tokens; empty = plain captioning. */
  prompt?: string;
  /** @defaultValue generation_config.json, else 30 */
  maxNewTokens?: number;
  /** @defaultValue 0 */
  minNewTokens?: number;
  /** @defaultValue 1 (greedy) */
  numBeams?: number;
  /** @defaultValue 1.0 */
  lengthPenalty?: number;
  /** @defaultValue false */
  earlyStopping?: boolean | "never";
  /** @defaultValue 1.0 (off) */
  repetitionPenalty?: number;
}

export interface CaptionResult {
  /** Decoded new tokens, special tokens skipped, trimmed. */
  text: string;
  /** Generated token ids (without the prompt). */
  tokenIds: number[];
  timings: { preprocessMs: number; visionMs: number; decodeMs: number; totalMs: number };
}

export interface Captioner {
  readonly modelDir: string;
  readonly device: string;
  readonly precision: string;
  caption(images: ImageInput[], options?: GenerateOptions): Promise<CaptionResult[]>;
  /** VQA: prompt is `Question: {question} Answer:`. */
  answer(images: ImageInput[], question: string, options?: Omit<GenerateOptions, "prompt">): Promise<CaptionResult[]>;
  dispose(): Promise<void>;
}

export type LoadCaptionerOptions = LoadModelOptions;
