import { MixpeekError } from "../core/errors.js";

/**
 * Tagged template for request paths: every interpolated value is checked and URI-encoded, so an id such as
 * `"../x"` or `"a/b"` can never address another route.
 */
export function path(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    if (typeof value !== "string" || value.length === 0) {
      throw new MixpeekError(`Path parameter must be a non-empty string, got ${JSON.stringify(value) ?? String(value)}`);
    }
    out += encodeURIComponent(value) + (strings[i + 1] ?? "");
  });
  return out;
}
