import sharp from "sharp";
import { MediaError } from "./errors.js";
import { assertReadableFile } from "./probe.js";

/** Packed 8-bit RGB, 3 bytes per pixel, rows top to bottom, in display orientation. */
export interface RgbFrame {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Colour that transparent pixels are composited onto. */
export const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 } as const;

export interface DecodeImageOptions {
  /** Scale down (never up) to at most this width, keeping the aspect ratio. */
  maxWidth?: number;
}

/**
 * Decodes a still image (or the first frame of an animated one) to packed sRGB:
 * EXIF orientation applied; alpha flattened onto white; 16-bit reduced to 8-bit; CMYK, greyscale and
 * embedded ICC profiles converted to sRGB.
 */
export async function decodeImage(input: string | Uint8Array, options: DecodeImageOptions = {}): Promise<RgbFrame> {
  const label = typeof input === "string" ? input : `<${input.byteLength}-byte image buffer>`;
  if (typeof input === "string") await assertReadableFile(input);
  else if (input.byteLength === 0) throw new MediaError("empty_file", `image buffer is empty (0 bytes)`, { path: label });

  try {
    let pipeline = sharp(input, { failOn: "error", pages: 1 })
      .autoOrient()
      .flatten({ background: FLATTEN_BACKGROUND })
      .toColourspace("srgb");
    if (options.maxWidth !== undefined) {
      if (!Number.isInteger(options.maxWidth) || options.maxWidth < 1) throw new RangeError(`maxWidth must be a positive integer, got ${options.maxWidth}`);
      pipeline = pipeline.resize({ width: options.maxWidth, withoutEnlargement: true });
    }
    const { data, info } = await pipeline.removeAlpha().raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new MediaError("unsupported", `${label}: decoded to ${info.channels} channels, expected RGB`, { path: label });
    }
    // Hand back a view that owns its whole ArrayBuffer (so it can be transferred), copying only if sharp's isn't.
    const owned = data.byteOffset === 0 && data.buffer.byteLength === data.byteLength ? new Uint8Array(data.buffer, 0, data.byteLength) : new Uint8Array(data);
    return { data: owned, width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof MediaError || err instanceof RangeError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    const code = /unsupported image format|not a known file format/i.test(msg) ? "unsupported" : "corrupt";
    throw new MediaError(code, `cannot decode image ${label}: ${msg}`, { path: label, cause: err });
  }
}

/** Default thumbnail width in pixels. */
export const THUMBNAIL_WIDTH = 640;

export interface ThumbnailOptions {
  /** JPEG quality 1–100. @defaultValue 80 */
  quality?: number;
}

/**
 * Encodes a frame as a JPEG exactly `width` pixels wide (scaled up or down, aspect ratio kept).
 */
export async function makeThumbnail(frame: RgbFrame, width: number = THUMBNAIL_WIDTH, options: ThumbnailOptions = {}): Promise<Buffer> {
  assertFrame(frame);
  if (!Number.isInteger(width) || width < 1 || width > 16384) throw new RangeError(`thumbnail width must be an integer in 1..16384, got ${width}`);
  const height = Math.max(1, Math.round((frame.height * width) / frame.width));
  return sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .resize({ width, height, fit: "fill" })
    .jpeg({ quality: options.quality ?? 80, mozjpeg: false })
    .toBuffer();
}

/** Throws a TypeError unless `frame` is a well-formed RgbFrame. */
export function assertFrame(frame: RgbFrame): void {
  if (
    !frame ||
    !(frame.data instanceof Uint8Array) ||
    !Number.isInteger(frame.width) ||
    !Number.isInteger(frame.height) ||
    frame.width < 1 ||
    frame.height < 1 ||
    frame.data.byteLength !== frame.width * frame.height * 3
  ) {
    throw new TypeError("frame must be { data: Uint8Array of width*height*3 bytes, width, height }");
  }
}
