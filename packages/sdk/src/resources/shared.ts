/** Types shared by several resources. */

/** `FilterCondition`: one condition on a dotted field path. */
export interface FilterCondition {
  field: string;
  operator?:
    | "eq" | "ne" | "gt" | "lt" | "gte" | "lte" | "in" | "nin" | "contains" | "starts_with" | "ends_with"
    | "regex" | "exists" | "is_null" | "text";
  value?: unknown;
}

/** `LogicalOperator`: a filter tree. */
export interface LogicalOperator {
  AND?: Array<FilterCondition | LogicalOperator>;
  OR?: Array<FilterCondition | LogicalOperator>;
  NOT?: Array<FilterCondition | LogicalOperator>;
  case_sensitive?: boolean;
}

export interface SortOption {
  field: string;
  direction?: "asc" | "desc";
}

/** Body of every `POST …/list`, next to the `limit` / `offset` / `include_total` page params. */
export interface ListParams {
  limit?: number;
  offset?: number;
  include_total?: boolean;
  filters?: LogicalOperator | FilterCondition | Record<string, unknown>;
  sort?: SortOption;
  search?: string;
  case_sensitive?: boolean;
  [key: string]: unknown;
}

/** `GenericDeleteResponse`. */
export interface DeleteResponse {
  success?: boolean;
  message?: string;
  [key: string]: unknown;
}

/** Mixpeek `TaskStatusEnum` (also the lifecycle status of objects, batches and buckets). */
export type TaskStatus =
  | "PENDING" | "IN_PROGRESS" | "PROCESSING" | "COMPLETED" | "COMPLETED_WITH_ERRORS" | "FAILED" | "CANCELED"
  | "UNKNOWN" | "SKIPPED" | "DRAFT" | "ACTIVE" | "ARCHIVED" | "SUSPENDED";

/** `FeatureExtractorConfig` as a collection stores it. */
export interface FeatureExtractorConfig {
  feature_extractor_name: string;
  version: string;
  parameters?: Record<string, unknown>;
  input_mappings?: Record<string, unknown> | Array<Record<string, unknown>>;
  field_passthrough?: Array<string | { source_path: string; target_path?: string; default?: unknown; required?: boolean }>;
  include_all_source_fields?: boolean;
  feature_extractor_id?: string;
  [key: string]: unknown;
}
