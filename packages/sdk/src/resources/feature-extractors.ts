import { APIResource } from "../core/resource.js";
import type { RequestOptions } from "../client.js";
import { path } from "../internal/path.js";

export interface FeatureExtractor {
  feature_extractor_name: string;
  version: string;
  feature_extractor_id: string;
  description?: string;
  source?: string;
  input_schema?: unknown;
  output_schema?: unknown;
  parameter_schema?: unknown;
  supported_input_types?: string[];
  default_parameters?: Record<string, unknown>;
  required_vector_indexes?: unknown[];
  [key: string]: unknown;
}

/** `/v1/collections/features/extractors`: the extractor registry (account-level, no `X-Namespace`). */
export class FeatureExtractors extends APIResource {
  async list(options?: RequestOptions): Promise<FeatureExtractor[]> {
    const body = await this._client.request<unknown>({
      method: "get",
      path: "/v1/collections/features/extractors",
      options,
      noNamespace: true,
    });
    if (Array.isArray(body)) return body as FeatureExtractor[];
    const results = (body as { results?: unknown } | undefined)?.results;
    return Array.isArray(results) ? (results as FeatureExtractor[]) : [];
  }

  /** By id, e.g. `scene_description_v1`. */
  async get(featureExtractorId: string, options?: RequestOptions): Promise<FeatureExtractor> {
    return this._client.request({
      method: "get",
      path: path`/v1/collections/features/extractors/${featureExtractorId}`,
      options,
      noNamespace: true,
    });
  }
}
