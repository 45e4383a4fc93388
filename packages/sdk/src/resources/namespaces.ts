import { APIResource } from "../core/resource.js";
import type { PagePromise } from "../core/pagination.js";
import type { RequestOptions } from "../client.js";
import { path } from "../internal/path.js";
import type { DeleteResponse, ListParams } from "./shared.js";

export interface NamespaceFeatureExtractor {
  feature_extractor_name: string;
  version: string;
  params?: Record<string, unknown>;
  feature_extractor_id?: string;
  [key: string]: unknown;
}

export interface Namespace {
  namespace_id: string;
  namespace_name: string;
  description?: string | null;
  feature_extractors?: NamespaceFeatureExtractor[];
  payload_indexes?: unknown[] | null;
  document_count?: number;
  bucket_count?: number;
  collection_count?: number;
  object_count?: number;
  auto_create_indexes?: boolean;
  created_at?: string;
  updated_at?: string;
  [key: string]: unknown;
}

export interface NamespaceCreateParams {
  namespace_name: string;
  description?: string;
  feature_extractors?: NamespaceFeatureExtractor[];
  payload_indexes?: unknown[];
  auto_create_indexes?: boolean;
  [key: string]: unknown;
}

export interface NamespaceUpdateParams {
  namespace_name?: string;
  description?: string;
  [key: string]: unknown;
}

/** `/v1/namespaces`. Create and list are account-level calls: they never send `X-Namespace`. */
export class Namespaces extends APIResource {
  async create(body: NamespaceCreateParams, options?: RequestOptions): Promise<Namespace> {
    return this._client.request({ method: "post", path: "/v1/namespaces", body, options, noNamespace: true });
  }

  /** By id (`ns_…`) or name. */
  async get(namespaceIdentifier: string, options?: RequestOptions): Promise<Namespace> {
    return this._client.request({ method: "get", path: path`/v1/namespaces/${namespaceIdentifier}`, options, noNamespace: true });
  }

  async update(namespaceIdentifier: string, body: NamespaceUpdateParams, options?: RequestOptions): Promise<Namespace> {
    return this._client.request({
      method: "patch",
      path: path`/v1/namespaces/${namespaceIdentifier}`,
      body,
      options,
      noNamespace: true,
    });
  }

  async delete(namespaceIdentifier: string, options?: RequestOptions): Promise<DeleteResponse> {
    return this._client.request({ method: "delete", path: path`/v1/namespaces/${namespaceIdentifier}`, options, noNamespace: true });
  }

  list(params?: ListParams, options?: RequestOptions): PagePromise<Namespace> {
    return this._client.getList<Namespace>("/v1/namespaces/list", params, { ...options, namespace: null });
  }
}
