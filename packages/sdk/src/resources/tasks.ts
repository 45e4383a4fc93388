import { APIResource } from "../core/resource.js";
import type { PagePromise } from "../core/pagination.js";
import type { RequestOptions } from "../client.js";
import { MixpeekError, TaskTimeoutError } from "../core/errors.js";
import { path } from "../internal/path.js";
import { sleep } from "../internal/sleep.js";
import type { DeleteResponse, ListParams, TaskStatus } from "./shared.js";

export interface Task {
  task_id: string;
  task_type?: string;
  status: TaskStatus | string;
  inputs?: unknown[] | null;
  outputs?: unknown[] | null;
  additional_data?: {
    batch_id?: string;
    bucket_id?: string;
    namespace_id?: string;
    collection_ids?: string[];
    object_count?: number;
    error?: string | null;
    [key: string]: unknown;
  } | null;
  error?: string | null;
  [key: string]: unknown;
}

export interface TaskListParams extends ListParams {
  status?: TaskStatus | string;
  task_type?: string;
}

/** Statuses after which a task never changes. */
export const TERMINAL_TASK_STATUSES = ["COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED", "CANCELED"] as const;

/** Case-insensitive: `"completed"` and `"COMPLETED"` are both terminal. */
export function isTerminalTaskStatus(status: unknown): boolean {
  return typeof status === "string" && (TERMINAL_TASK_STATUSES as readonly string[]).includes(status.toUpperCase());
}

export const DEFAULT_WAIT_TIMEOUT_MS = 1_800_000;
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
export const DEFAULT_MAX_POLL_INTERVAL_MS = 30_000;
export const POLL_BACKOFF_FACTOR = 1.5;

export interface TaskWaitOptions {
  /** Give up (throw `TaskTimeoutError`) after this many ms. @defaultValue 1800000 (30 min) */
  timeout?: number;
  /** First delay between polls, in ms; each next delay is 1.5× longer. @defaultValue 1000 */
  pollInterval?: number;
  /** Upper bound of the delay between polls, in ms. @defaultValue 30000 */
  maxPollInterval?: number;
  /** Called with the task after every poll, terminal one included. */
  onProgress?: (task: Task) => void | Promise<void>;
  /** Aborts the wait (and the in-flight poll) with `APIUserAbortError`. */
  signal?: AbortSignal;
  /** Options for each `GET /v1/tasks/{id}`. */
  requestOptions?: RequestOptions;
}

/** `/v1/tasks`. */
export class Tasks extends APIResource {
  async get(taskId: string, options?: RequestOptions): Promise<Task> {
    return this._client.get(path`/v1/tasks/${taskId}`, options);
  }

  list(params?: TaskListParams, options?: RequestOptions): PagePromise<Task> {
    return this._client.getList<Task>("/v1/tasks/list", params, options);
  }

  /** Kills the task (idempotent). */
  async delete(taskId: string, options?: RequestOptions): Promise<DeleteResponse> {
    return this._client.delete(path`/v1/tasks/${taskId}`, options);
  }

  /**
   * Polls the task with growing intervals until it reaches a terminal status (COMPLETED,
   * COMPLETED_WITH_ERRORS, FAILED, CANCELED — compared case-insensitively) and returns it. A FAILED task is
   * returned, not thrown: check `task.status`.
   */
  async wait(taskId: string, options: TaskWaitOptions = {}): Promise<Task> {
    const timeout = options.timeout ?? DEFAULT_WAIT_TIMEOUT_MS;
    let interval = options.pollInterval ?? DEFAULT_POLL_INTERVAL_MS;
    const maxInterval = options.maxPollInterval ?? DEFAULT_MAX_POLL_INTERVAL_MS;
    for (const [name, value] of Object.entries({ timeout, pollInterval: interval, maxPollInterval: maxInterval })) {
      if (!Number.isFinite(value) || value < 0) throw new MixpeekError(`tasks.wait: ${name} must be a non-negative number`);
    }
    const deadline = Date.now() + timeout;
    const signal = options.signal ?? options.requestOptions?.signal;
    const requestOptions: RequestOptions = { ...options.requestOptions, ...(signal ? { signal } : {}) };
    let task: Task | undefined;
    for (;;) {
      task = await this.get(taskId, requestOptions);
      await options.onProgress?.(task);
      if (isTerminalTaskStatus(task.status)) return task;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new TaskTimeoutError(taskId, task, timeout);
      await sleep(Math.min(interval, remaining), signal);
      interval = Math.min(interval * POLL_BACKOFF_FACTOR, maxInterval);
    }
  }
}
