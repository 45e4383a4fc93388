import { randomBytes, randomUUID } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function token(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! % ALPHABET.length];
  return out;
}

/** Public ids in the Mixpeek style (`ns_…`, `bkt_…`, `col_…`); task ids are UUIDs. */
export const newId = {
  namespace: () => `ns_${token(10)}`,
  bucket: () => `bkt_${token(10)}`,
  object: () => `obj_${token(12)}`,
  blob: () => `blob_${token(12)}`,
  collection: () => `col_${token(10)}`,
  document: () => `doc_${token(16)}`,
  batch: () => `btch_${token(12)}`,
  retriever: () => `ret_${token(10)}`,
  execution: () => `exec_${token(12)}`,
  upload: () => `upl_${token(16)}`,
  apiKey: () => `key_${token(12)}`,
  task: (): string => randomUUID(),
};
