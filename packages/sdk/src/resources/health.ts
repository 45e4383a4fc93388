import { APIResource } from "../core/resource.js";
import type { RequestOptions } from "../client.js";

export interface HealthStatus {
  status?: string;
  [key: string]: unknown;
}

/** `GET /v1/health`. */
export class Health extends APIResource {
  async check(options?: RequestOptions): Promise<HealthStatus> {
    return this._client.request({ method: "get", path: "/v1/health", options, noNamespace: true });
  }
}
