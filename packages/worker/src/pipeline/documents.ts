import { createHash } from "node:crypto";

/**
 * Deterministic document id: the same (collection, object, extractor, segment) always maps to the same id,
 * so a retried or stalled job overwrites its documents instead of adding new ones.
 */
export function documentId(parts: {
  collectionId: string;
  objectId: string;
  extractorName: string;
  extractorVersion: string;
  segmentIndex: number;
}): string {
  const h = createHash("sha256")
    .update(JSON.stringify([parts.collectionId, parts.objectId, `${parts.extractorName}@${parts.extractorVersion}`, parts.segmentIndex]))
    .digest("hex");
  return `doc_${h.slice(0, 32)}`;
}

export function thumbnailKey(collectionId: string, docId: string): string {
  return `thumbnails/${collectionId}/${docId}.jpg`;
}

/** Reads a dotted path (`metadata.title`) from an object. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

export interface PassthroughSpec {
  source_path: string;
  target_path?: string | null;
  default?: unknown;
}

/**
 * The object's user fields copied onto each document: all of `metadata` when `include_all_source_fields`
 * (the default), plus each `field_passthrough` entry (`source_path` read from the object record, a bare
 * name read from `metadata` first).
 */
export function passthroughFields(
  objectData: Record<string, unknown>,
  opts: { includeAll: boolean; fields: PassthroughSpec[] },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const metadata = objectData.metadata;
  if (opts.includeAll && metadata && typeof metadata === "object" && !Array.isArray(metadata)) {
    Object.assign(out, metadata);
  }
  for (const f of opts.fields) {
    let value = getPath(objectData.metadata, f.source_path);
    if (value === undefined) value = getPath(objectData, f.source_path);
    if (value === undefined) value = f.default;
    if (value === undefined) continue;
    const target = f.target_path ?? (f.source_path.startsWith("metadata.") ? f.source_path.slice("metadata.".length) : f.source_path);
    setPath(out, target, value);
  }
  return out;
}

/** Lower-case word tokens of a caption. */
function tokens(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []);
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const t of a) if (b.has(t)) inter++;
  return inter / (a.size + b.size - inter);
}

/**
 * With several frames per segment: the caption that agrees most with the others (highest mean word-set
 * similarity — the medoid), which describes what the segment mostly shows rather than one passing moment.
 * Ties go to the frame nearest the middle of the segment. One frame: that caption.
 */
export function chooseCaption(captions: string[]): number {
  const n = captions.length;
  if (n <= 1) return 0;
  const sets = captions.map(tokens);
  const mid = (n - 1) / 2;
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) if (j !== i) s += jaccard(sets[i]!, sets[j]!);
    const better = s > bestScore + 1e-12 || (Math.abs(s - bestScore) <= 1e-12 && Math.abs(i - mid) < Math.abs(best - mid));
    if (better) {
      best = i;
      bestScore = s;
    }
  }
  return best;
}
