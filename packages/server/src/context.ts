import type { FastifyRequest } from "fastify";
import type { BlobStore, CollectionStore, ListQuery, ResourceKind, ResourceRecord } from "@scenecap/store";
import type { ServerConfig } from "./config.js";
import type { JobQueue } from "./queue.js";
import { BlobSigner, resolveBlobRefs } from "./blobs.js";
import { ApiError } from "./errors.js";

/** Everything route handlers share. */
export class AppContext {
  readonly signer: BlobSigner;

  constructor(
    readonly store: CollectionStore,
    readonly queue: JobQueue,
    readonly blobs: BlobStore,
    readonly config: ServerConfig,
  ) {
    this.signer = new BlobSigner(config.signingSecret, config.urlTtlSeconds);
  }

  /** Absolute base URL clients reached us at (signed URLs point there). */
  baseUrl(req: FastifyRequest): string {
    if (this.config.publicUrl) return this.config.publicUrl;
    const proto = req.protocol || "http";
    return `${proto}://${req.host}`;
  }

  /** Copy of `value` with every `blob://` reference turned into a signed URL. */
  sign<T>(req: FastifyRequest, value: T): T {
    const base = this.baseUrl(req);
    return resolveBlobRefs(value, (key) => this.signer.url(base, key));
  }

  async mustGet(kind: ResourceKind, ns: string, idOrName: string, label: string): Promise<ResourceRecord> {
    const rec = await this.store.resources.get(kind, ns, idOrName);
    if (!rec) throw ApiError.notFound(label, idOrName);
    return rec;
  }

  async count(kind: ResourceKind, ns: string | null, query: Partial<ListQuery> = {}): Promise<number> {
    const page = await this.store.resources.list(kind, ns, { limit: 1, offset: 0, ...query });
    return page.total;
  }

  /** Every record of a kind (paged through), for in-memory joins on small sets (collections of a namespace). */
  async listAll(kind: ResourceKind, ns: string | null, query: Partial<ListQuery> = {}): Promise<ResourceRecord[]> {
    const out: ResourceRecord[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await this.store.resources.list(kind, ns, { ...query, limit: 500, offset });
      out.push(...page.items);
      if (page.items.length < 500 || out.length >= page.total) return out;
    }
  }
}

export function eqFilter(field: string, value: unknown) {
  return { AND: [{ field, operator: "eq" as const, value }] };
}
