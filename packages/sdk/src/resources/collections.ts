import { APIResource } from "../core/resource.js";
import type { PagePromise } from "../core/pagination.js";
import type { Mixpeek, RequestOptions } from "../client.js";
import { ConflictError, MixpeekError, NotFoundError } from "../core/errors.js";
import { fileSize } from "../internal/files.js";
import { path } from "../internal/path.js";
import { kindFromMime, mimeFromDataUri, mimeFromName } from "../internal/media.js";
import type { MediaKind } from "../internal/media.js";
import { Documents } from "./documents.js";
import type { Bucket, BucketSchemaField } from "./buckets.js";
import type { BlobData } from "./objects.js";
import type { DeleteResponse, FeatureExtractorConfig, ListParams, LogicalOperator, TaskStatus } from "./shared.js";

export interface CollectionSource {
  type: "bucket" | "collection" | "taxonomy" | "cluster";
  bucket_ids?: string[];
  collection_id?: string;
  collection_ids?: string[];
  source_filters?: { filters: LogicalOperator };
  [key: string]: unknown;
}

export interface Collection {
  collection_id: string;
  collection_name: string;
  description?: string | null;
  source?: CollectionSource;
  feature_extractor?: FeatureExtractorConfig;
  input_schema?: unknown;
  output_schema?: unknown;
  vector_indexes?: Array<{ feature_uri?: string; name?: string; [key: string]: unknown }>;
  enabled?: boolean;
  metadata?: Record<string, unknown> | null;
  document_count?: number;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}

export interface CollectionCreateParams {
  collection_name: string;
  description?: string;
  source: CollectionSource;
  feature_extractor: FeatureExtractorConfig;
  input_schema?: unknown;
  enabled?: boolean;
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CollectionUpdateParams {
  collection_name?: string;
  description?: string;
  enabled?: boolean;
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CollectionTriggerParams {
  include_buckets?: string[];
  include_collections?: string[];
  source_filters?: { filters: LogicalOperator };
  [key: string]: unknown;
}

export interface CollectionTriggerResponse {
  batch_id: string;
  task_id: string;
  collection_id: string;
  source_bucket_ids?: string[];
  object_count?: number;
  total_tiers?: number;
  message?: string;
  [key: string]: unknown;
}

export interface CollectionFeature {
  feature_address?: string;
  feature_extractor_name?: string;
  version?: string;
  vector_index?: unknown;
  primary?: boolean;
  [key: string]: unknown;
}

export interface CollectionFeaturesResponse {
  features: CollectionFeature[];
  [key: string]: unknown;
}

/** One extractor as the `ingest` shorthand names it. */
export interface IngestFeatureExtractor {
  name: string;
  /** @defaultValue "v1" */
  version?: string;
  params?: Record<string, unknown>;
}

interface SourceCommon {
  /** Overrides the media kind inferred from the extension or MIME type. */
  type?: MediaKind;
  mime_type?: string;
}

/** Where the media comes from: a URL the server fetches, a local file, or bytes in memory. */
export type IngestSource =
  | (SourceCommon & { url: string; path?: never; data?: never })
  | (SourceCommon & { path: string; url?: never; data?: never })
  | (SourceCommon & { data: string | Uint8Array | ArrayBuffer; filename?: string; url?: never; path?: never });

export interface IngestParams {
  /** Collection id (`col_…`) or name. A name that does not exist yet is created, with its own bucket. */
  collection_id: string;
  source: IngestSource;
  /** Exactly one extractor (a collection has one); needed only when the collection must be created. */
  feature_extractors?: IngestFeatureExtractor[];
  /** Object metadata, copied onto every document. */
  metadata?: Record<string, unknown>;
  /** With `source.path`: called as the file's bytes go out. */
  onUploadProgress?: (sent: number, total: number) => void;
}

export interface IngestResult {
  task_id: string;
  batch_id: string;
  object_id: string;
  collection_id: string;
  bucket_id: string;
  status: TaskStatus | string;
  /** True when this call created the collection (and its bucket). */
  created_collection: boolean;
}

/** `/v1/collections`, with `documents` beneath and the `ingest` shorthand. */
export class Collections extends APIResource {
  readonly documents: Documents;

  constructor(client: Mixpeek) {
    super(client);
    this.documents = new Documents(client);
  }

  async create(body: CollectionCreateParams, options?: RequestOptions): Promise<Collection> {
    return this._client.post("/v1/collections", body, options);
  }

  /** By id (`col_…`) or name. */
  async get(collectionIdentifier: string, options?: RequestOptions): Promise<Collection> {
    return this._client.get(path`/v1/collections/${collectionIdentifier}`, options);
  }

  async update(collectionIdentifier: string, body: CollectionUpdateParams, options?: RequestOptions): Promise<Collection> {
    return this._client.patch(path`/v1/collections/${collectionIdentifier}`, body, options);
  }

  async delete(collectionIdentifier: string, options?: RequestOptions): Promise<DeleteResponse> {
    return this._client.delete(path`/v1/collections/${collectionIdentifier}`, options);
  }

  list(params?: ListParams, options?: RequestOptions): PagePromise<Collection> {
    return this._client.getList<Collection>("/v1/collections/list", params, options);
  }

  /** Processes the collection's source objects again (202 → batch and task). */
  async trigger(collectionIdentifier: string, body: CollectionTriggerParams = {}, options?: RequestOptions): Promise<CollectionTriggerResponse> {
    return this._client.post(path`/v1/collections/${collectionIdentifier}/trigger`, body, options);
  }

  /** The searchable features (feature URIs) the collection's extractor produces. */
  async features(collectionIdentifier: string, options?: RequestOptions): Promise<CollectionFeaturesResponse> {
    return this._client.get(path`/v1/collections/${collectionIdentifier}/features`, options);
  }

  /**
   * Adds one video or image to a collection and starts processing it, composed from the public endpoints:
   * resolve the collection (creating `<name>-bucket` and the collection when the name is new) → create the
   * object with the media blob → create a batch → submit it. Returns the task to wait on.
   */
  async ingest(params: IngestParams, options?: RequestOptions): Promise<IngestResult> {
    const { collection_id: collectionRef, extractor } = validateIngest(params);
    const media = await prepareMedia(params.source);

    let collection = await this.#find(collectionRef, options);
    let created = false;
    if (collection) {
      if (extractor) assertSameExtractor(collection, extractor);
    } else {
      if (!extractor) {
        throw new MixpeekError(
          `Collection "${collectionRef}" does not exist; pass feature_extractors: [{ name, version, params }] to create it`,
        );
      }
      if (/^col_[A-Za-z0-9]+$/.test(collectionRef)) {
        throw new MixpeekError(`Collection ${collectionRef} not found (ingest creates collections by name, not by id)`);
      }
      const created_ = await this.#createForIngest(collectionRef, media.kind, extractor, options);
      collection = created_.collection;
      created = created_.created;
    }

    const bucketId = firstSourceBucket(collection);
    const bucket = await this._client.buckets.get(bucketId, options);
    const property = pickBlobProperty(collection, bucket, media.kind);

    const blob = media.upload
      ? { upload_id: await this.#upload(bucketId, media.upload, params.onUploadProgress, options) }
      : { data: media.data };
    const object = await this._client.buckets.objects.create(
      bucketId,
      {
        blobs: [{ property, type: media.kind, ...blob }],
        ...(params.metadata ? { metadata: params.metadata } : {}),
      },
      options,
    );
    const batch = await this._client.buckets.batches.create(bucketId, { object_ids: [object.object_id] }, options);
    const task = await this._client.buckets.batches.submit(bucketId, batch.batch_id, {}, options);
    const taskId = task.task_id ?? (batch as { task_id?: string }).task_id;
    if (!taskId) throw new MixpeekError(`Submitting batch ${batch.batch_id} returned no task_id`);
    return {
      task_id: taskId,
      batch_id: batch.batch_id,
      object_id: object.object_id,
      collection_id: collection.collection_id,
      bucket_id: bucket.bucket_id ?? bucketId,
      status: task.status ?? "PENDING",
      created_collection: created,
    };
  }

  /** Content → presigned upload (create, PUT, confirm without creating an object) → its upload_id. */
  async #upload(bucketId: string, up: UploadContent, onProgress: IngestParams["onUploadProgress"], options?: RequestOptions): Promise<string> {
    const confirmed = await this._client.buckets.uploads.send(
      bucketId,
      up.content,
      up.size,
      { filename: up.filename, content_type: up.mime, create_object_on_confirm: false },
      onProgress,
      options,
    );
    return confirmed.upload_id;
  }

  async #find(ref: string, options?: RequestOptions): Promise<Collection | null> {
    try {
      return await this.get(ref, options);
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  async #createForIngest(
    name: string,
    kind: MediaKind,
    extractor: Required<IngestFeatureExtractor>,
    options?: RequestOptions,
  ): Promise<{ collection: Collection; created: boolean }> {
    const bucketName = `${name}-bucket`;
    let bucket: Bucket;
    try {
      bucket = await this._client.buckets.get(bucketName, options);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      bucket = await this._client.buckets.create(
        {
          bucket_name: bucketName,
          description: `Media for collection ${name}`,
          bucket_schema: { properties: { [kind]: { type: kind, required: true } } },
        },
        options,
      );
    }
    const property = findProperty(bucket, kind);
    if (!property) {
      throw new MixpeekError(
        `Bucket "${bucketName}" exists but has no ${kind} property; delete it or ingest into a collection of another name`,
      );
    }
    try {
      const collection = await this.create(
        {
          collection_name: name,
          source: { type: "bucket", bucket_ids: [bucket.bucket_id] },
          feature_extractor: {
            feature_extractor_name: extractor.name,
            version: extractor.version,
            parameters: extractor.params,
            input_mappings: { [kind]: property },
          },
        },
        options,
      );
      return { collection, created: true };
    } catch (err) {
      // Someone else created it between our lookup and our create: use theirs.
      if (err instanceof ConflictError) return { collection: await this.get(name, options), created: false };
      throw err;
    }
  }
}

function validateIngest(params: IngestParams): { collection_id: string; extractor: Required<IngestFeatureExtractor> | undefined } {
  if (!params || typeof params !== "object") throw new MixpeekError("collections.ingest: params must be an object");
  const { collection_id, source, feature_extractors } = params;
  if (typeof collection_id !== "string" || collection_id.trim() === "") {
    throw new MixpeekError("collections.ingest: collection_id must be a non-empty string (a collection id or name)");
  }
  if (!source || typeof source !== "object") {
    throw new MixpeekError("collections.ingest: source must be { url } , { path } or { data, mime_type? }");
  }
  const given = (["url", "path", "data"] as const).filter((k) => (source as unknown as Record<string, unknown>)[k] !== undefined);
  if (given.length !== 1) {
    throw new MixpeekError(
      `collections.ingest: source needs exactly one of url, path or data (got ${given.length ? given.join(", ") : "none"})`,
    );
  }
  if (source.type !== undefined && source.type !== "video" && source.type !== "image") {
    throw new MixpeekError(`collections.ingest: source.type must be "video" or "image", got ${JSON.stringify(source.type)}`);
  }
  if (feature_extractors !== undefined && !Array.isArray(feature_extractors)) {
    throw new MixpeekError("collections.ingest: feature_extractors must be an array");
  }
  if (feature_extractors && feature_extractors.length > 1) {
    throw new MixpeekError(
      `collections.ingest: a collection has exactly one feature extractor, got ${feature_extractors.length} (${feature_extractors
        .map((f) => f?.name)
        .join(", ")}); ingest into one collection per extractor`,
    );
  }
  const fe = feature_extractors?.[0];
  if (fe !== undefined && (!fe || typeof fe.name !== "string" || fe.name === "")) {
    throw new MixpeekError("collections.ingest: feature_extractors[0].name must be a non-empty string");
  }
  if (fe?.params !== undefined && (typeof fe.params !== "object" || fe.params === null || Array.isArray(fe.params))) {
    throw new MixpeekError("collections.ingest: feature_extractors[0].params must be an object");
  }
  const extractor = fe ? { name: fe.name, version: fe.version ?? "v1", params: fe.params ?? {} } : undefined;
  return { collection_id: collection_id.trim(), extractor };
}

/** Content for a presigned upload: a local file (streamed) or bytes in memory. */
interface UploadContent {
  content: { path: string } | Uint8Array;
  size: number;
  filename: string;
  mime: string;
}

/** Inline blob data (URLs, base64 strings, data URIs), or content to send through a presigned upload. */
type PreparedMedia = { kind: MediaKind; data: BlobData; upload?: never } | { kind: MediaKind; upload: UploadContent; data?: never };

/** Decides the media kind and builds the blob `data` (reading a local file when given a path). */
async function prepareMedia(source: IngestSource): Promise<PreparedMedia> {
  if (source.url !== undefined) {
    if (typeof source.url !== "string" || !/^(https?|s3):\/\/./i.test(source.url)) {
      throw new MixpeekError(`collections.ingest: source.url must be an http(s) or s3 URL, got ${JSON.stringify(source.url)}`);
    }
    const mime = source.mime_type ?? mimeFromName(source.url);
    return { kind: decideKind(source.type, mime, source.url), data: source.url };
  }
  if (source.path !== undefined) {
    if (typeof source.path !== "string" || source.path === "") {
      throw new MixpeekError("collections.ingest: source.path must be a non-empty string");
    }
    // Checked before anything is created on the server; the bytes are streamed later, by the upload.
    let size: number;
    try {
      size = await fileSize(source.path);
    } catch (err) {
      throw new MixpeekError(`collections.ingest: ${(err as Error).message}`, { cause: err });
    }
    if (size === 0) throw new MixpeekError(`collections.ingest: ${source.path} is empty`);
    const mime = source.mime_type ?? mimeFromName(source.path) ?? "application/octet-stream";
    const { basename } = await import("node:path");
    return { kind: decideKind(source.type, mime, source.path), upload: { content: { path: source.path }, size, filename: basename(source.path), mime } };
  }
  const raw = source.data;
  if (typeof raw === "string") {
    if (raw.startsWith("data:")) {
      const mime = source.mime_type ?? mimeFromDataUri(raw);
      return { kind: decideKind(source.type, mime, source.filename), data: raw };
    }
    if (!/^[A-Za-z0-9+/=\s_-]+$/.test(raw)) {
      throw new MixpeekError("collections.ingest: source.data string must be base64 or a data: URI");
    }
    const mime = source.mime_type ?? (source.filename ? mimeFromName(source.filename) : undefined);
    return { kind: decideKind(source.type, mime, source.filename), data: blobData(raw.replace(/\s+/g, ""), mime, source.filename) };
  }
  if (raw instanceof Uint8Array || raw instanceof ArrayBuffer) {
    // Bytes go up as a presigned upload: no base64 inflation, no JSON body limit.
    const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw);
    if (bytes.byteLength === 0) throw new MixpeekError("collections.ingest: source.data is empty");
    const mime = source.mime_type ?? (source.filename ? mimeFromName(source.filename) : undefined);
    const kind = decideKind(source.type, mime, source.filename);
    return { kind, upload: { content: bytes, size: bytes.byteLength, filename: source.filename ?? "upload", mime: mime ?? "application/octet-stream" } };
  }
  throw new MixpeekError("collections.ingest: source.data must be a base64 string, a data: URI, a Uint8Array or an ArrayBuffer");
}

function blobData(base64: string, mime: string | undefined, filename: string | undefined): BlobData {
  return { base64, ...(mime ? { mime_type: mime } : {}), ...(filename ? { filename } : {}) };
}

/** Explicit type → MIME (given or from the extension) → "video" (the default: scenecap is a video pipeline). */
function decideKind(explicit: MediaKind | undefined, mime: string | undefined, name: string | undefined): MediaKind {
  if (explicit) return explicit;
  const fromMime = kindFromMime(mime);
  if (fromMime) return fromMime;
  if (mime && !mime.startsWith("application/octet-stream")) {
    throw new MixpeekError(
      `collections.ingest: unsupported media type ${mime}${name ? ` for ${name}` : ""} (expected a video or an image; set source.type to override)`,
    );
  }
  return "video";
}

function firstSourceBucket(collection: Collection): string {
  const source = collection.source as (CollectionSource & { bucket_id?: string }) | undefined;
  const id =
    source?.bucket_ids?.[0] ??
    source?.bucket_id ??
    (collection as { source_bucket_ids?: string[] }).source_bucket_ids?.[0];
  if (!id) {
    throw new MixpeekError(
      `Collection ${collection.collection_id} has no source bucket (source type ${String(source?.type)}); ingest needs a bucket-sourced collection`,
    );
  }
  return id;
}

function findProperty(bucket: Bucket, kind: MediaKind): string | undefined {
  const props = bucketProperties(bucket);
  if (props[kind]?.type === kind) return kind;
  return Object.entries(props).find(([, f]) => f?.type === kind)?.[0];
}

function bucketProperties(bucket: Bucket): Record<string, BucketSchemaField> {
  const schema = (bucket.bucket_schema ?? (bucket as { schema?: Bucket["bucket_schema"] }).schema) as
    | { properties?: Record<string, BucketSchemaField> }
    | null
    | undefined;
  return schema?.properties ?? {};
}

/** The bucket property to put the blob in: one the extractor reads (input_mappings) of the right type, else any. */
function pickBlobProperty(collection: Collection, bucket: Bucket, kind: MediaKind): string {
  const props = bucketProperties(bucket);
  const mappings = collection.feature_extractor?.input_mappings;
  const mapped: string[] = [];
  if (Array.isArray(mappings)) {
    for (const m of mappings) if (typeof m?.path === "string") mapped.push(m.path);
  } else if (mappings && typeof mappings === "object") {
    for (const v of Object.values(mappings)) if (typeof v === "string") mapped.push(v);
  }
  const viaMapping = mapped.find((p) => props[p]?.type === kind);
  if (viaMapping) return viaMapping;
  const any = findProperty(bucket, kind);
  if (any) return any;
  if (Object.keys(props).length === 0) return kind; // schema not exposed: use the conventional name
  throw new MixpeekError(
    `Collection ${collection.collection_id} reads bucket ${bucket.bucket_id}, which has no ${kind} property (properties: ${Object.keys(
      props,
    ).join(", ")}); ingest this ${kind} into another collection`,
  );
}

/** An existing collection keeps its extractor: refuse to silently ingest with a different one. */
function assertSameExtractor(collection: Collection, wanted: Required<IngestFeatureExtractor>): void {
  const have = collection.feature_extractor ?? (collection as { feature_extractors?: FeatureExtractorConfig[] }).feature_extractors?.[0];
  if (!have) return;
  const mismatch = (what: string, a: unknown, b: unknown) =>
    new MixpeekError(
      `Collection "${collection.collection_name ?? collection.collection_id}" already exists with ${what} ${JSON.stringify(a)}, ` +
        `but ingest asked for ${JSON.stringify(b)}; a collection's extractor is fixed — use another collection name`,
    );
  if (have.feature_extractor_name && have.feature_extractor_name !== wanted.name) {
    throw mismatch("feature extractor", have.feature_extractor_name, wanted.name);
  }
  if (have.version && have.version !== wanted.version) throw mismatch("extractor version", have.version, wanted.version);
  const params = have.parameters ?? (have as { params?: Record<string, unknown> }).params;
  if (!params) return;
  for (const [key, value] of Object.entries(wanted.params)) {
    if (key in params && !sameJson(params[key], value)) throw mismatch(`params.${key}`, params[key], value);
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
