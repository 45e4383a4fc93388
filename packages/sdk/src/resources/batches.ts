import { APIResource } from "../core/resource.js";
import type { PagePromise } from "../core/pagination.js";
import type { RequestOptions } from "../client.js";
import { path } from "../internal/path.js";
import type { Task } from "./tasks.js";
import type { ListParams, TaskStatus } from "./shared.js";

export interface Batch {
  batch_id: string;
  bucket_id: string;
  status: TaskStatus | string;
  object_ids?: string[];
  collection_ids?: string[];
  task_id?: string | null;
  error?: string | null;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}

export interface BatchCreateParams {
  object_ids: string[];
  batch_name?: string;
  collection_ids?: string[];
  /** Query: skip server-side validation of the objects. */
  skip_validation?: boolean;
  [key: string]: unknown;
}

export interface BatchSubmitParams {
  include_processing_history?: boolean;
  collection_ids?: string[];
  [key: string]: unknown;
}

/** `/v1/buckets/{bucket}/batches` (also reachable as `mx.batches`). */
export class Batches extends APIResource {
  async create(bucketIdentifier: string, params: BatchCreateParams, options?: RequestOptions): Promise<Batch> {
    const { skip_validation, ...body } = params;
    return this._client.request({
      method: "post",
      path: path`/v1/buckets/${bucketIdentifier}/batches`,
      query: { skip_validation },
      body,
      options,
    });
  }

  /** Starts processing; the returned task is what `tasks.wait` polls. */
  async submit(bucketIdentifier: string, batchId: string, body: BatchSubmitParams = {}, options?: RequestOptions): Promise<Task> {
    return this._client.post(path`/v1/buckets/${bucketIdentifier}/batches/${batchId}/submit`, body, options);
  }

  async get(bucketIdentifier: string, batchId: string, options?: RequestOptions): Promise<Batch> {
    return this._client.get(path`/v1/buckets/${bucketIdentifier}/batches/${batchId}`, options);
  }

  list(bucketIdentifier: string, params?: ListParams, options?: RequestOptions): PagePromise<Batch> {
    return this._client.getList<Batch>(() => path`/v1/buckets/${bucketIdentifier}/batches/list`, params, options);
  }
}
