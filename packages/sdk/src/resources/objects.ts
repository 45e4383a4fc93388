import { APIResource } from "../core/resource.js";
import type { PagePromise } from "../core/pagination.js";
import type { RequestOptions } from "../client.js";
import { path } from "../internal/path.js";
import type { BucketFieldType } from "./buckets.js";
import type { DeleteResponse, ListParams, TaskStatus } from "./shared.js";

/**
 * Blob content: a URL (`http(s)://`, `s3://`), a `data:<mime>;base64,…` URI, inline base64, or `{ url }`.
 */
export type BlobData = string | { base64: string; mime_type?: string; filename?: string } | { url: string };

export interface BlobCreate {
  /** Bucket schema property this blob fills. */
  property: string;
  type: BucketFieldType;
  data?: BlobData;
  upload_id?: string;
  key_prefix?: string;
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ObjectCreateParams {
  blobs: BlobCreate[];
  key_prefix?: string;
  metadata?: Record<string, unknown>;
  skip_duplicates?: boolean;
  /** Query: unique-key policy. */
  policy?: "insert" | "update" | "upsert";
  /** Query: create and submit a batch for this object right away. */
  auto_process?: boolean;
  [key: string]: unknown;
}

export interface BlobModel {
  blob_id?: string;
  property: string;
  type: string;
  key_prefix?: string | null;
  details?: { filename?: string; size_bytes?: number; mime_type?: string; hash?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface BucketObject {
  object_id: string;
  bucket_id: string;
  key_prefix?: string | null;
  blobs?: BlobModel[];
  metadata?: Record<string, unknown>;
  status?: TaskStatus | string;
  error?: string | null;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}

export interface ObjectCreateBatchParams {
  objects: Array<Omit<ObjectCreateParams, "policy" | "auto_process">>;
  /** Query: unique-key policy for every object. */
  policy?: "insert" | "update" | "upsert";
  [key: string]: unknown;
}

export interface ObjectCreateBatchResponse {
  succeeded: BucketObject[];
  failed: Array<{ index: number; error: { message: string; type?: string; status?: number; [key: string]: unknown } }>;
  total?: number;
  succeeded_count?: number;
  failed_count?: number;
  [key: string]: unknown;
}

/** `/v1/buckets/{bucket}/objects` (also reachable as `mx.objects`). */
export class Objects extends APIResource {
  async create(bucketIdentifier: string, params: ObjectCreateParams, options?: RequestOptions): Promise<BucketObject> {
    const { policy, auto_process, ...body } = params;
    return this._client.request({
      method: "post",
      path: path`/v1/buckets/${bucketIdentifier}/objects`,
      query: { policy, auto_process },
      body,
      options,
    });
  }

  /**
   * Up to 100 objects in one call. Each is created or refused on its own: check `failed` (with the request
   * index and the error); the call throws only when none was created. Nothing is processed until a batch runs.
   */
  async createBatch(bucketIdentifier: string, params: ObjectCreateBatchParams, options?: RequestOptions): Promise<ObjectCreateBatchResponse> {
    const { policy, ...body } = params;
    return this._client.request({ method: "post", path: path`/v1/buckets/${bucketIdentifier}/objects/batch`, query: { policy }, body, options });
  }

  async get(bucketIdentifier: string, objectId: string, options?: RequestOptions): Promise<BucketObject> {
    return this._client.get(path`/v1/buckets/${bucketIdentifier}/objects/${objectId}`, options);
  }

  async delete(bucketIdentifier: string, objectId: string, options?: RequestOptions): Promise<DeleteResponse> {
    return this._client.delete(path`/v1/buckets/${bucketIdentifier}/objects/${objectId}`, options);
  }

  list(bucketIdentifier: string, params?: ListParams, options?: RequestOptions): PagePromise<BucketObject> {
    return this._client.getList<BucketObject>(() => path`/v1/buckets/${bucketIdentifier}/objects/list`, params, options);
  }
}
