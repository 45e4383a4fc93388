import type { CaptionResult, GenerateOptions } from "@scenecap/blip2";

/** Messages between the pool (main thread) and a captioner thread. */
export interface ThreadInit {
  /** Module that exports the loader (default `@scenecap/blip2`); tests may point at a double. */
  loaderModule: string;
  loaderExport: string;
  modelDir: string;
  device: string;
  precision: string;
  loadOptions: Record<string, unknown>;
}

export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

export type ToThread =
  | { type: "run"; id: number; mode: "caption"; images: RawImage[]; options: GenerateOptions }
  | { type: "run"; id: number; mode: "answer"; question: string; images: RawImage[]; options: GenerateOptions }
  | { type: "close" };

export type FromThread =
  | { type: "ready"; device: string; precision: string }
  | { type: "load_error"; message: string }
  | { type: "result"; id: number; results: CaptionResult[] }
  | { type: "run_error"; id: number; message: string }
  | { type: "closed" };
