import { readFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import type { ImageInput } from "../captioner-types.js";
import { PIL_BICUBIC, pillowResize, type RawImage } from "./pillow-resize.js";

/** The BlipImageProcessor settings read from `preprocessor_config.json`. */
export interface ImageProcessorConfig {
  doConvertRgb: boolean;
  doResize: boolean;
  /** Target size (height × width). */
  height: number;
  width: number;
  /** Pillow resample filter id. @defaultValue 3 (bicubic) */
  resample: number;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  imageMean: [number, number, number];
  imageStd: [number, number, number];
}

/** The processor defaults of BLIP-2 (OpenAI CLIP statistics, 224×224 bicubic). */
export const DEFAULT_IMAGE_PROCESSOR_CONFIG: ImageProcessorConfig = {
  doConvertRgb: true,
  doResize: true,
  height: 224,
  width: 224,
  resample: PIL_BICUBIC,
  doRescale: true,
  rescaleFactor: 1 / 255,
  doNormalize: true,
  imageMean: [0.48145466, 0.4578275, 0.40821073],
  imageStd: [0.26862954, 0.26130258, 0.27577711],
};

const triple = (v: unknown, name: string, fallback: [number, number, number]): [number, number, number] => {
  if (v === undefined) return fallback;
  if (typeof v === "number") return [v, v, v];
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number")) {
    const [a, b, c] = v as [number, number, number];
    return [a, b, c];
  }
  throw new Error(`preprocessor_config.json: ${name} must be a number or 3 numbers`);
};

/** Parse a `preprocessor_config.json` object (BlipImageProcessor fields; missing fields take BLIP defaults). */
export function parseImageProcessorConfig(json: Record<string, unknown>): ImageProcessorConfig {
  const d = DEFAULT_IMAGE_PROCESSOR_CONFIG;
  const size = json.size as Record<string, number> | number | undefined;
  let height = d.height;
  let width = d.width;
  if (typeof size === "number") {
    height = width = size;
  } else if (size && typeof size === "object") {
    if (typeof size.height === "number" && typeof size.width === "number") {
      height = size.height;
      width = size.width;
    } else if (typeof size.shortest_edge === "number") {
      height = width = size.shortest_edge;
    }
  }
  const bool = (k: string, def: boolean): boolean => (typeof json[k] === "boolean" ? (json[k] as boolean) : def);
  return {
    doConvertRgb: bool("do_convert_rgb", d.doConvertRgb),
    doResize: bool("do_resize", d.doResize),
    height,
    width,
    resample: typeof json.resample === "number" ? json.resample : d.resample,
    doRescale: bool("do_rescale", d.doRescale),
    rescaleFactor: typeof json.rescale_factor === "number" ? json.rescale_factor : d.rescaleFactor,
    doNormalize: bool("do_normalize", d.doNormalize),
    imageMean: triple(json.image_mean, "image_mean", d.imageMean),
    imageStd: triple(json.image_std, "image_std", d.imageStd),
  };
}

/** Read `<modelDir>/preprocessor_config.json` (BLIP defaults when the file is absent). */
export async function loadImageProcessorConfig(modelDir: string): Promise<ImageProcessorConfig> {
  let text: string;
  try {
    text = await readFile(path.join(modelDir, "preprocessor_config.json"), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { ...DEFAULT_IMAGE_PROCESSOR_CONFIG };
    throw err;
  }
  return parseImageProcessorConfig(JSON.parse(text) as Record<string, unknown>);
}

/** Raised for input that is not a decodable image. */
export class ImageDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ImageDecodeError";
  }
}

/**
 * Decode an encoded image to 8-bit interleaved pixels at its native size (EXIF orientation applied, no resizing),
 * keeping whatever bands the file has (1–4). Embedded ICC profiles are ignored, as Pillow ignores them: the stored
 * sample values are what the reference preprocessing sees.
 */
export async function decodeImage(bytes: Uint8Array): Promise<RawImage> {
  if (bytes.length === 0) throw new ImageDecodeError("image is empty (0 bytes)");
  try {
    const { data, info } = await sharp(bytes, { failOn: "error", ignoreIcc: true })
      .autoOrient()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: info.channels,
    };
  } catch (err) {
    throw new ImageDecodeError(`cannot decode image (${bytes.length} bytes): ${(err as Error).message}`, { cause: err });
  }
}

/**
 * `Image.convert("RGB")` for 8-bit data: grayscale is replicated, alpha is dropped (not composited), RGB is kept.
 * Palette images arrive here already expanded by the decoder, which is what Pillow's conversion does too.
 */
export function toRgb(image: RawImage): RawImage {
  const { data, width, height, channels } = image;
  if (![1, 2, 3, 4].includes(channels)) throw new Error(`unsupported channel count ${channels}`);
  if (data.length !== width * height * channels) {
    throw new Error(`pixel buffer has ${data.length} bytes, expected ${width}x${height}x${channels}`);
  }
  if (channels === 3) return image;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    if (channels <= 2) {
      const v = data[i * channels]!;
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    } else {
      out[i * 3] = data[i * 4]!;
      out[i * 3 + 1] = data[i * 4 + 1]!;
      out[i * 3 + 2] = data[i * 4 + 2]!;
    }
  }
  return { data: out, width, height, channels: 3 };
}

function checkRaw(input: Exclude<ImageInput, Uint8Array>): RawImage {
  const { data, width, height, channels } = input;
  if (!(data instanceof Uint8Array)) throw new ImageDecodeError("raw image data must be a Uint8Array");
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageDecodeError(`raw image has an invalid size ${width}x${height}`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new ImageDecodeError(`raw image has ${channels} channels (1–4 supported)`);
  if (data.length !== width * height * channels) {
    throw new ImageDecodeError(
      `raw image buffer has ${data.length} bytes, expected ${width}x${height}x${channels} = ${width * height * channels}`,
    );
  }
  return { data, width, height, channels };
}

/** Encoded bytes or raw pixels → 8-bit RGB at native size. */
export async function loadRgb(input: ImageInput): Promise<RawImage> {
  const raw = input instanceof Uint8Array ? await decodeImage(input) : checkRaw(input);
  return toRgb(raw);
}

/**
 * BlipImageProcessor on already-decoded RGB pixels: Pillow resize, rescale, normalise, written channel-first into
 * `out` at `offset` (float32 arithmetic as NumPy does it).
 */
export function rgbToPixelValues(
  rgb: RawImage,
  config: ImageProcessorConfig,
  out?: Float32Array,
  offset = 0,
): Float32Array {
  if (rgb.channels !== 3) throw new Error("rgbToPixelValues expects 3 channels");
  const img = config.doResize ? pillowResize(rgb, config.width, config.height, config.resample) : rgb;
  const plane = img.width * img.height;
  const target = out ?? new Float32Array(3 * plane);
  if (target.length < offset + 3 * plane) throw new Error("pixel output buffer is too small");
  const f = Math.fround;
  const mean = config.imageMean.map(f);
  const std = config.imageStd.map(f);
  const src = img.data;
  for (let c = 0; c < 3; c++) {
    const m = mean[c]!;
    const s = std[c]!;
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) {
      // rescale: float64 product cast to float32; normalise: float32 subtract and divide.
      let v = config.doRescale ? f(src[i * 3 + c]! * config.rescaleFactor) : src[i * 3 + c]!;
      if (config.doNormalize) v = f(f(v - m) / s);
      target[base + i] = v;
    }
  }
  return target;
}

/** Preprocess a batch into `pixel_values` float32 [batch, 3, height, width]. */
export async function preprocessImages(
  images: readonly ImageInput[],
  config: ImageProcessorConfig = DEFAULT_IMAGE_PROCESSOR_CONFIG,
): Promise<{ pixelValues: Float32Array; batch: number; height: number; width: number }> {
  if (images.length === 0) throw new Error("no images given: the batch is empty");
  if (!config.doResize) throw new Error("preprocessing without resize is not supported (the vision tower needs a fixed size)");
  const plane = config.height * config.width;
  const pixelValues = new Float32Array(images.length * 3 * plane);
  for (let b = 0; b < images.length; b++) {
    let rgb: RawImage;
    try {
      rgb = await loadRgb(images[b]!);
    } catch (err) {
      if (err instanceof ImageDecodeError) {
        throw new ImageDecodeError(`image ${b}: ${err.message}`, { cause: err });
      }
      throw err;
    }
    rgbToPixelValues(rgb, config, pixelValues, b * 3 * plane);
  }
  return { pixelValues, batch: images.length, height: config.height, width: config.width };
}
