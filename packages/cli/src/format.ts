/** `75.5` → `01:15.5`; hours appear when needed. */
export function formatTime(seconds: number): string {
  const s = Math.max(0, seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = (s % 60).toFixed(1).padStart(4, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${String(m).padStart(2, "0")}:${rest}`;
}

/** One search result as a line: time range, caption, score. */
export function formatSearchHit(doc: Record<string, unknown>): string {
  const start = typeof doc.start_time === "number" ? doc.start_time : null;
  const end = typeof doc.end_time === "number" ? doc.end_time : null;
  const range = start !== null && end !== null && end > 0 ? `${formatTime(start)}–${formatTime(end)}` : "image";
  const score = typeof doc.score === "number" ? doc.score.toFixed(3) : "-";
  const description = typeof doc.description === "string" ? doc.description : "";
  return `[${range}] ${description}  (score ${score}, ${String(doc.document_id ?? "")})`;
}
