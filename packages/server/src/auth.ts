import { createHash, randomBytes } from "node:crypto";
import type { ApiKeyRecord, CollectionStore, ResourceRecord } from "@scenecap/store";
import { ApiError } from "./errors.js";
import { newId } from "./ids.js";

export function hashApiKey(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/**
 * Namespaces are global records, so their stored `name` is qualified by the owning key: two keys may each
 * have a namespace called "videos" and neither learns of the other's (no cross-key 409s).
 */
export function namespaceStoredName(keyId: string, namespaceName: string): string {
  return `${keyId}/${namespaceName}`;
}

export interface CreatedApiKey {
  key_id: string;
  name: string;
  /** The secret; shown once, only its sha256 is stored. */
  secret: string;
  created_at: string;
}

/** Creates an API key (`sk_…`) and returns its secret once. */
export async function createApiKey(store: CollectionStore, name: string): Promise<CreatedApiKey> {
  const secret = `sk_${randomBytes(24).toString("base64url")}`;
  const record: ApiKeyRecord = {
    key_id: newId.apiKey(),
    key_hash: hashApiKey(secret),
    name,
    default_namespace_id: null,
    created_at: new Date().toISOString(),
  };
  await store.apiKeys.create(record);
  return { key_id: record.key_id, name, secret, created_at: record.created_at };
}

/**
 * Registers keys given in configuration (`SCENECAP_API_KEYS`). Idempotent: a key already known is left
 * alone; its id derives from its hash so it stays the same across restarts and replicas.
 */
export async function seedApiKeys(store: CollectionStore, secrets: string[]): Promise<void> {
  for (const secret of secrets) {
    const hash = hashApiKey(secret);
    if (await store.apiKeys.findByHash(hash)) continue;
    try {
      await store.apiKeys.create({
        key_id: `key_${hash.slice(0, 16)}`,
        key_hash: hash,
        name: "configured",
        default_namespace_id: null,
        created_at: new Date().toISOString(),
      });
    } catch (err) {
      // Another replica seeded it at the same moment.
      if (!(await store.apiKeys.findByHash(hash))) throw err;
    }
  }
}

/** `Authorization: Bearer <key>` → the key record, or 401. */
export async function authenticate(store: CollectionStore, header: string | undefined): Promise<ApiKeyRecord> {
  if (!header) throw new ApiError("unauthorized", "Missing Authorization header; send 'Authorization: Bearer <api key>'");
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new ApiError("unauthorized", "Malformed Authorization header; expected 'Bearer <api key>'");
  const key = await store.apiKeys.findByHash(hashApiKey(m[1]!));
  if (!key) throw new ApiError("unauthorized", "Invalid API key");
  return key;
}

/** Looks a namespace up by id or (this key's) name; null when absent or not this key's. */
export async function findNamespace(store: CollectionStore, key: ApiKeyRecord, idOrName: string): Promise<ResourceRecord | null> {
  const byId = await store.resources.get("namespace", null, idOrName);
  if (byId && byId.id === idOrName) return (await store.apiKeys.canAccess(key.key_id, byId.id)) ? byId : null;
  const byName = await store.resources.get("namespace", null, namespaceStoredName(key.key_id, idOrName));
  if (byName && (await store.apiKeys.canAccess(key.key_id, byName.id))) return byName;
  return null;
}

/** `X-Namespace` (id or name) → namespace id; without the header the key's default namespace (created on first use). */
export async function resolveNamespace(store: CollectionStore, key: ApiKeyRecord, header: string | undefined): Promise<string> {
  if (header !== undefined && header.trim() !== "") {
    const ns = await findNamespace(store, key, header.trim());
    if (!ns) throw new ApiError("not_found", `Namespace ${JSON.stringify(header.trim())} not found`);
    return ns.id;
  }
  if (key.default_namespace_id && (await store.resources.get("namespace", null, key.default_namespace_id))?.id === key.default_namespace_id) {
    return key.default_namespace_id;
  }
  return ensureDefaultNamespace(store, key); // first use, or the default namespace was deleted
}

async function ensureDefaultNamespace(store: CollectionStore, key: ApiKeyRecord): Promise<string> {
  const storedName = namespaceStoredName(key.key_id, "default");
  let ns = await store.resources.get("namespace", null, storedName);
  if (!ns) {
    const now = new Date().toISOString();
    try {
      ns = await store.resources.create("namespace", {
        id: newId.namespace(),
        namespace_id: null,
        name: storedName,
        created_at: now,
        updated_at: now,
        data: namespaceData(key.key_id, "default", "Default namespace of this API key", []),
      });
    } catch (err) {
      ns = await store.resources.get("namespace", null, storedName); // created concurrently
      if (!ns) throw err;
    }
  }
  await store.apiKeys.grant(key.key_id, ns.id);
  await store.apiKeys.setDefaultNamespace(key.key_id, ns.id);
  key.default_namespace_id = ns.id;
  return ns.id;
}

export function namespaceData(
  ownerKeyId: string,
  namespaceName: string,
  description: string | null,
  featureExtractors: Array<{ feature_extractor_name: string; version: string; params?: Record<string, unknown> | null }>,
): Record<string, unknown> {
  return {
    namespace_name: namespaceName,
    description,
    owner_key_id: ownerKeyId,
    feature_extractors: featureExtractors.map((f) => ({
      feature_extractor_name: f.feature_extractor_name,
      version: f.version,
      feature_extractor_id: `${f.feature_extractor_name}_${f.version}`,
      params: f.params ?? null,
    })),
    payload_indexes: [],
    auto_create_indexes: false,
  };
}
