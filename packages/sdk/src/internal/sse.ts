/**
 * The `data` payloads of a server-sent event stream, one per event (multi-line data joined with "\n").
 * Comments and other fields (`event:`, `id:`, `retry:`) are skipped.
 */
export async function* sseData(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = "";
  const parse = (block: string): string | null => {
    const data = block
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""));
    return data.length > 0 ? data.join("\n") : null;
  };
  for await (const chunk of chunks) {
    buf += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    buf = buf.replace(/\r\n/g, "\n");
    for (let end = buf.indexOf("\n\n"); end >= 0; end = buf.indexOf("\n\n")) {
      const data = parse(buf.slice(0, end));
      buf = buf.slice(end + 2);
      if (data !== null) yield data;
    }
  }
  const last = parse((buf + decoder.decode()).replace(/\r\n/g, "\n"));
  if (last !== null) yield last;
}
