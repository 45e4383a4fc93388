/** Media kinds `collections.ingest` can create a bucket property for. */
export type MediaKind = "video" | "image";

const MIME_BY_EXT: Record<string, string> = {
  mp4: "video/mp4",
  m4v: "video/x-m4v",
  mov: "video/quicktime",
  qt: "video/quicktime",
  webm: "video/webm",
  mkv: "video/x-matroska",
  avi: "video/x-msvideo",
  wmv: "video/x-ms-wmv",
  flv: "video/x-flv",
  mpg: "video/mpeg",
  mpeg: "video/mpeg",
  ts: "video/mp2t",
  m2ts: "video/mp2t",
  "3gp": "video/3gpp",
  ogv: "video/ogg",
  gif: "image/gif",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  bmp: "image/bmp",
  tif: "image/tiff",
  tiff: "image/tiff",
  avif: "image/avif",
  heic: "image/heic",
  heif: "image/heif",
};

/** Lower-cased extension of a file name, path or URL (query and fragment ignored), without the dot. */
export function extensionOf(nameOrUrl: string): string | undefined {
  let pathname = nameOrUrl;
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(nameOrUrl)) pathname = new URL(nameOrUrl).pathname;
  } catch {
    // not a URL: treat it as a path
  }
  const base = pathname.split(/[?#]/)[0]?.split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  return dot > 0 && dot < base.length - 1 ? base.slice(dot + 1).toLowerCase() : undefined;
}

export function mimeFromName(nameOrUrl: string): string | undefined {
  const ext = extensionOf(nameOrUrl);
  return ext ? MIME_BY_EXT[ext] : undefined;
}

/** Images become `image`; videos and GIFs (animated) become `video`; anything else is undefined. */
export function kindFromMime(mime: string | undefined): MediaKind | undefined {
  if (!mime) return undefined;
  const m = mime.toLowerCase().split(";")[0]?.trim() ?? "";
  if (m === "image/gif") return "video";
  if (m.startsWith("image/")) return "image";
  if (m.startsWith("video/")) return "video";
  return undefined;
}

/** MIME type of a `data:<mime>;base64,...` URI. */
export function mimeFromDataUri(data: string): string | undefined {
  const match = /^data:([^;,]+)[;,]/i.exec(data);
  return match?.[1]?.toLowerCase();
}
