import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CaptionResult, GenerateOptions } from "@scenecap/blip2";
import { extractFrames, makeThumbnail, MediaError, planSegments, probeMedia, type MediaProbe, type RgbFrame, type Segment } from "@scenecap/media";
import { SCENE_DESCRIPTION, SceneDescriptionParams, type JobProgress, type ProcessObjectPayload } from "@scenecap/protocol";
import type { BlobStore, CollectionStore, ResourceRecord, StoredDocument } from "@scenecap/store";
import { errorMessage, isPermanent, PermanentJobError, TransientJobError } from "../errors.js";
import { fetchToFile, type FetchLimits } from "../fetch/fetch-source.js";
import { ownedImage, type CaptionerPool } from "../inference/captioner-pool.js";
import { chooseCaption, documentId, passthroughFields, thumbnailKey, type PassthroughSpec } from "./documents.js";
import { resolveModelDir } from "./models.js";
import { recordJobState, type JobEntry } from "./task-state.js";

export interface PipelineConfig {
  /** Where `model_id`s resolve. */
  modelsDir: string;
  /** Let sources resolve to loopback/private addresses. @defaultValue false */
  allowPrivateNetworks?: boolean;
  /** Download limits (size, time, redirects). */
  fetch?: Omit<FetchLimits, "allowPrivateNetworks" | "signal">;
  /** Parent of per-job temp dirs. @defaultValue os.tmpdir() */
  tempDir?: string;
  /** Frames decoded and captioned per step (memory bound; a step is also a progress tick). @defaultValue 16 */
  framesPerStep?: number;
  /** Width frames are decoded at (thumbnails are 640 px wide; the model resizes to 224). @defaultValue 640 */
  frameWidth?: number;
}

/** Everything a job needs; BullMQ and the local runner both build one and call the same processor. */
export interface JobContext {
  store: CollectionStore;
  blobs: BlobStore;
  captioners: CaptionerPool;
  config: PipelineConfig;
  /** Runner hook (BullMQ: `job.updateProgress`). */
  progress?: (p: JobProgress) => void | Promise<void>;
  /** Aborted when the worker shuts down or the job's lock is lost: stop early, no FAILED record. */
  signal?: AbortSignal;
  /** 1-based attempt number and the attempts allowed: the last failing attempt records FAILED. */
  attempt: number;
  maxAttempts: number;
  /** Tags inference requests (observability of shared batches). */
  jobId: string;
  log?: (msg: string) => void;
}

export interface ProcessObjectResult {
  status: "COMPLETED";
  documents_written: number;
  segments_total: number;
  document_ids: string[];
}

const THUMBNAIL_WIDTH = 640;

/**
 * The `ProcessObject` job: fetch → probe → segment → extract frames → caption → write documents, with the
 * task, batch and object records kept up to date. Bad input fails permanently (FAILED, no retry);
 * transient failures are rethrown for the runner to retry, and the last attempt records FAILED.
 */
export async function processObject(payload: ProcessObjectPayload, ctx: JobContext): Promise<ProcessObjectResult> {
  const entry = (e: JobEntry) => recordJobState(ctx.store, payload, e);
  try {
    await entry({ status: "PROCESSING", segments_done: 0, segments_total: 0 });
    const result = await runPipeline(payload, ctx, entry);
    await entry({
      status: "COMPLETED",
      segments_done: result.segments_total,
      segments_total: result.segments_total,
      documents_written: result.documents_written,
    });
    return result;
  } catch (raw) {
    const err = classify(raw);
    const released = ctx.signal?.aborted && !isPermanent(err);
    if (!released && (isPermanent(err) || ctx.attempt >= ctx.maxAttempts)) {
      await entry({ status: "FAILED", segments_done: 0, segments_total: 0, error: errorMessage(err) }).catch((e) =>
        ctx.log?.(`could not record the failure of ${ctx.jobId}: ${errorMessage(e)}`),
      );
    }
    throw err;
  }
}

/** A ProcessObject job whose every attempt died mid-run: its task entry becomes FAILED with the reason. */
export async function processObjectAbandoned(payload: ProcessObjectPayload, reason: string, store: CollectionStore): Promise<void> {
  await recordJobState(store, payload, { status: "FAILED", segments_done: 0, segments_total: 0, error: reason });
}

/** Maps library errors onto permanent / transient job errors. */
function classify(err: unknown): unknown {
  if (err instanceof MediaError || (err instanceof Error && err.name === "MediaError")) {
    const me = err as MediaError;
    if (me.code === "ffmpeg_failed") return new TransientJobError(me.message, { cause: me });
    return new PermanentJobError(me.code === "unsupported" ? "unsupported" : "bad_media", me.message, { cause: me });
  }
  return err;
}

function mimeFromProbe(probe: MediaProbe, contentType: string | null): string {
  const ct = contentType?.split(";")[0]?.trim().toLowerCase();
  if (ct && (ct.startsWith("video/") || ct.startsWith("image/"))) return ct;
  const f = probe.formatName.toLowerCase();
  if (f.includes("mp4") || f.includes("mov")) return probe.kind === "video" ? "video/mp4" : "image/heic";
  if (f.includes("webm") || f.includes("matroska")) return f.includes("webm") ? "video/webm" : "video/x-matroska";
  if (f.includes("gif")) return "image/gif";
  if (f.includes("png")) return "image/png";
  if (f.includes("jpeg") || f.includes("mjpeg")) return "image/jpeg";
  if (f.includes("webp")) return "image/webp";
  if (f.includes("avi")) return "video/x-msvideo";
  if (f.includes("mpegts")) return "video/mp2t";
  return probe.kind === "video" ? "video/*" : "image/*";
}

/** The object's media source: the first blob (video first, then image/gif) with a URL or `blob://` ref. */
export function sourceOf(object: ResourceRecord): { url: string; blobType: string | null } {
  const blobs = Array.isArray(object.data.blobs) ? (object.data.blobs as Record<string, unknown>[]) : [];
  const rank = (t: unknown) => (t === "video" ? 0 : t === "gif" ? 1 : t === "image" ? 2 : 3);
  const sorted = [...blobs].sort((a, b) => rank(a.type) - rank(b.type));
  for (const b of sorted) {
    const data = typeof b.data === "string" ? b.data : ((b.data as { url?: unknown } | null | undefined)?.url ?? b.url);
    if (typeof data === "string" && data.length > 0) return { url: data, blobType: typeof b.type === "string" ? b.type : null };
  }
  const direct = object.data.source_url;
  if (typeof direct === "string") return { url: direct, blobType: null };
  throw new PermanentJobError("bad_payload", `object ${object.id} has no blob with a source URL`);
}

async function runPipeline(
  p: ProcessObjectPayload,
  ctx: JobContext,
  entry: (e: JobEntry) => Promise<unknown>,
): Promise<ProcessObjectResult> {
  const { store, blobs, config } = ctx;
  if (p.extractor.feature_extractor_name !== SCENE_DESCRIPTION.name) {
    throw new PermanentJobError("unsupported", `unknown feature extractor ${p.extractor.feature_extractor_name} (this worker runs ${SCENE_DESCRIPTION.name})`);
  }
  const parsed = SceneDescriptionParams.safeParse(p.extractor.parameters ?? {});
  if (!parsed.success) {
    throw new PermanentJobError("bad_params", `invalid ${SCENE_DESCRIPTION.name} parameters: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  const params = parsed.data;
  const [object, collection] = await Promise.all([
    store.resources.get("object", p.namespace_id, p.object_id),
    store.resources.get("collection", p.namespace_id, p.collection_id),
  ]);
  if (!object) throw new PermanentJobError("not_found", `object ${p.object_id} does not exist`);
  if (!collection) throw new PermanentJobError("not_found", `collection ${p.collection_id} does not exist`);
  const modelDir = await resolveModelDir(params.model_id, config.modelsDir);
  // Load the model early (in parallel with the download) so a broken model fails before any media work.
  const warm = ctx.captioners.warm(modelDir);
  warm.catch(() => {});

  const source = sourceOf(object);
  const work = await mkdtemp(join(config.tempDir ?? tmpdir(), "scenecap-job-"));
  try {
    let path: string;
    let contentType: string | null = null;
    if (source.url.startsWith("blob://")) {
      const key = source.url.slice("blob://".length);
      if (!(await blobs.exists(key))) throw new PermanentJobError("not_found", `stored upload ${source.url} does not exist`);
      path = await blobs.path(key);
    } else if (/^https?:\/\//i.test(source.url)) {
      path = join(work, "source");
      const fetched = await fetchToFile(source.url, path, {
        ...config.fetch,
        allowPrivateNetworks: config.allowPrivateNetworks ?? false,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      contentType = fetched.contentType;
    } else {
      throw new PermanentJobError("bad_url", `unsupported source ${source.url.slice(0, 100)} (expected http(s):// or blob://)`);
    }
    ctx.signal?.throwIfAborted();

    const probe = await probeMedia(path);
    const segments = await planSegments(path, probe, {
      splitMethod: params.split_method,
      timeSplitInterval: params.time_split_interval,
      ...(params.scene_detection_threshold !== null ? { sceneDetectionThreshold: params.scene_detection_threshold } : {}),
      maxSegmentDuration: params.max_segment_duration,
      framesPerSegment: params.frames_per_segment,
    });
    await warm;
    const total = segments.length;
    await report(ctx, entry, 0, total);

    const gen: GenerateOptions = {
      maxNewTokens: params.max_new_tokens,
      minNewTokens: params.min_new_tokens,
      numBeams: params.num_beams,
    };
    const question = params.prompt;
    const base = {
      collectionId: p.collection_id,
      objectId: p.object_id,
      extractorName: SCENE_DESCRIPTION.name,
      extractorVersion: p.extractor.version || SCENE_DESCRIPTION.version,
    };
    const fe = (collection.data.feature_extractor ?? {}) as Record<string, unknown>;
    const passthrough = passthroughFields(object.data, {
      includeAll: fe.include_all_source_fields !== false,
      fields: Array.isArray(fe.field_passthrough) ? (fe.field_passthrough as PassthroughSpec[]) : [],
    });
    const detectedMime = mimeFromProbe(probe, contentType);
    const bucketId = (object.data.bucket_id as string | undefined) ?? p.bucket_id;

    // Steps of whole segments, ~framesPerStep frames each; the next step's frames decode while this one captions.
    const perStep = Math.max(1, Math.floor((config.framesPerStep ?? 16) / params.frames_per_segment));
    const steps: Segment[][] = [];
    for (let i = 0; i < segments.length; i += perStep) steps.push(segments.slice(i, i + perStep));
    const decode = (s: Segment[]) =>
      extractFrames(path, s.flatMap((seg) => seg.frameTimes), { maxWidth: config.frameWidth ?? THUMBNAIL_WIDTH, probe });
    let next: Promise<RgbFrame[]> | null = steps.length > 0 ? decode(steps[0]!) : null;
    next?.catch(() => {});
    const ids: string[] = [];
    let done = 0;
    for (let s = 0; s < steps.length; s++) {
      ctx.signal?.throwIfAborted();
      const step = steps[s]!;
      const frames = await next!;
      next = s + 1 < steps.length ? decode(steps[s + 1]!) : null;
      next?.catch(() => {});
      const expected = step.reduce((n, seg) => n + seg.frameTimes.length, 0);
      if (frames.length !== expected) throw new TransientJobError(`expected ${expected} frames, decoded ${frames.length}`);

      // Thumbnails need the pixels, which go to the model thread by transfer: encode the candidates first.
      const thumbs = await Promise.all(frames.map((f) => makeThumbnail(f, THUMBNAIL_WIDTH)));
      // Each image's pixels go to the model thread by transfer; a buffer shared by several frames (an image
      // source gives the same frame for every time) is copied so every request owns its own.
      const seen = new Set<ArrayBufferLike>();
      const images = frames.map((f) => {
        const img = seen.has(f.data.buffer) ? ownedImage({ ...f, data: new Uint8Array(f.data) }) : ownedImage(f);
        seen.add(f.data.buffer);
        seen.add(img.data.buffer);
        return img;
      });
      const results: CaptionResult[] = await ctx.captioners.run({ modelDir, question, options: gen }, images, ctx.jobId);

      const docs: StoredDocument[] = [];
      let k = 0;
      for (const seg of step) {
        const n = seg.frameTimes.length;
        const segResults = results.slice(k, k + n);
        const segThumbs = thumbs.slice(k, k + n);
        k += n;
        const pick = chooseCaption(segResults.map((r) => r.text));
        const id = documentId({ ...base, segmentIndex: seg.index });
        const key = thumbnailKey(p.collection_id, id);
        await blobs.put(key, segThumbs[pick]!);
        const now = new Date().toISOString();
        docs.push({
          document_id: id,
          collection_id: p.collection_id,
          namespace_id: p.namespace_id,
          object_id: p.object_id,
          fields: {
            ...passthrough,
            start_time: probe.kind === "image" ? 0 : seg.startTime,
            end_time: probe.kind === "image" ? 0 : seg.endTime,
            description: segResults[pick]!.text,
            thumbnail_url: `blob://${key}`,
            source_video_url: source.url,
            _internal: {
              document_id: id,
              collection_id: p.collection_id,
              namespace_id: p.namespace_id,
              lineage: {
                root_object_id: p.object_id,
                root_bucket_id: bucketId,
                source_type: "bucket",
                source_object_id: p.object_id,
                path: `${bucketId}/${p.collection_id}`,
                chain: [{ collection_id: p.collection_id, feature_extractor_id: `${base.extractorName}_${base.extractorVersion}`, document_id: id, timestamp: now }],
              },
              processing: { source_url: source.url, detected_mime_type: detectedMime },
              modality: probe.kind,
              segment_index: seg.index,
              model_id: params.model_id,
              frame_times: seg.frameTimes,
              ...(n > 1 ? { frame_captions: segResults.map((r) => r.text), chosen_frame: pick } : {}),
            },
          },
        });
      }
      await store.documents.upsert(docs);
      ids.push(...docs.map((d) => d.document_id));
      done += step.length;
      await report(ctx, entry, done, total);
    }
    return { status: "COMPLETED", documents_written: ids.length, segments_total: total, document_ids: ids };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function report(ctx: JobContext, entry: (e: JobEntry) => Promise<unknown>, done: number, total: number): Promise<void> {
  await entry({ status: "PROCESSING", segments_done: done, segments_total: total });
  await ctx.progress?.({ segments_done: done, segments_total: total });
}
