import { APIResource } from "../core/resource.js";
import type { PagePromise } from "../core/pagination.js";
import type { Mixpeek, RequestOptions } from "../client.js";
import { path } from "../internal/path.js";
import { Objects } from "./objects.js";
import { Batches } from "./batches.js";
import { Uploads } from "./uploads.js";
import type { DeleteResponse, ListParams } from "./shared.js";

/** `BucketSchemaFieldType`. */
export type BucketFieldType =
  | "string" | "number" | "integer" | "float" | "boolean" | "object" | "array" | "date" | "datetime" | "text"
  | "image" | "audio" | "video" | "pdf" | "excel";

export interface BucketSchemaField {
  type: BucketFieldType;
  required?: boolean;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  items?: unknown;
  properties?: Record<string, BucketSchemaField>;
  examples?: unknown[];
  [key: string]: unknown;
}

export interface BucketSchema {
  properties: Record<string, BucketSchemaField>;
  [key: string]: unknown;
}

export interface Bucket {
  bucket_id: string;
  bucket_name: string;
  description?: string | null;
  bucket_schema?: BucketSchema | null;
  unique_key?: { fields: string[]; default_policy?: "insert" | "update" | "upsert" } | null;
  metadata?: Record<string, unknown> | null;
  object_count?: number;
  status?: string;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}

export interface BucketCreateParams {
  bucket_name: string;
  description?: string;
  bucket_schema: BucketSchema;
  unique_key?: { fields: string[]; default_policy?: "insert" | "update" | "upsert" };
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface BucketUpdateParams {
  bucket_name?: string;
  description?: string;
  bucket_schema?: BucketSchema;
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

/** `/v1/buckets`, with `objects`, `batches` and `uploads` beneath. */
export class Buckets extends APIResource {
  readonly objects: Objects;
  readonly batches: Batches;
  readonly uploads: Uploads;

  constructor(client: Mixpeek) {
    super(client);
    this.objects = new Objects(client);
    this.batches = new Batches(client);
    this.uploads = new Uploads(client);
  }

  async create(body: BucketCreateParams, options?: RequestOptions): Promise<Bucket> {
    return this._client.post("/v1/buckets", body, options);
  }

  /** By id (`bkt_…`) or name. */
  async get(bucketIdentifier: string, options?: RequestOptions): Promise<Bucket> {
    return this._client.get(path`/v1/buckets/${bucketIdentifier}`, options);
  }

  async update(bucketIdentifier: string, body: BucketUpdateParams, options?: RequestOptions): Promise<Bucket> {
    return this._client.patch(path`/v1/buckets/${bucketIdentifier}`, body, options);
  }

  async delete(bucketIdentifier: string, options?: RequestOptions): Promise<DeleteResponse> {
    return this._client.delete(path`/v1/buckets/${bucketIdentifier}`, options);
  }

  list(params?: ListParams, options?: RequestOptions): PagePromise<Bucket> {
    return this._client.getList<Bucket>("/v1/buckets/list", params, options);
  }
}
