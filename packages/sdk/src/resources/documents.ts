import { APIResource } from "../core/resource.js";
import type { PagePromise } from "../core/pagination.js";
import type { RequestOptions } from "../client.js";
import { path } from "../internal/path.js";
import type { DeleteResponse, ListParams } from "./shared.js";

/** A reference from a document to a stored file (thumbnail, segment, source video…). */
export interface BlobURLRef {
  field: string;
  role?: "source" | "processed" | "thumbnail" | "artifact" | "aux" | string;
  type?: string;
  url: string;
  filename?: string;
  content_type?: string;
  presigned_url?: string;
  [key: string]: unknown;
}

/**
 * A collection document: extractor and user fields at the root (for video scenes `start_time`, `end_time`,
 * `description`, `thumbnail_url`…), system fields under `_internal`.
 */
export interface Document {
  document_id: string;
  collection_id: string;
  start_time?: number;
  end_time?: number;
  description?: string;
  thumbnail_url?: string;
  document_blobs?: BlobURLRef[];
  _internal?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface DocumentCreateParams {
  [key: string]: unknown;
}

export interface DocumentListParams extends ListParams {
  return_url?: boolean;
  return_vectors?: boolean;
  select?: string[];
}

/** `/v1/collections/{collection}/documents` (also reachable as `mx.documents`). */
export class Documents extends APIResource {
  async create(collectionIdentifier: string, body: DocumentCreateParams, options?: RequestOptions): Promise<Document> {
    return this._client.post(path`/v1/collections/${collectionIdentifier}/documents`, body, options);
  }

  async get(collectionIdentifier: string, documentId: string, options?: RequestOptions): Promise<Document> {
    return this._client.get(path`/v1/collections/${collectionIdentifier}/documents/${documentId}`, options);
  }

  async delete(collectionIdentifier: string, documentId: string, options?: RequestOptions): Promise<DeleteResponse> {
    return this._client.delete(path`/v1/collections/${collectionIdentifier}/documents/${documentId}`, options);
  }

  list(collectionIdentifier: string, params?: DocumentListParams, options?: RequestOptions): PagePromise<Document> {
    return this._client.getList<Document>(() => path`/v1/collections/${collectionIdentifier}/documents/list`, params, options);
  }
}
