// Reads the .frames fixtures written by scripts/capture/record-proxy.mjs.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface CapturedFrame {
  kind: "request" | "response";
  conn: number;
  seq: number;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  bytes: Buffer;
}

export const GOLDEN_DIR = join(import.meta.dirname, "fixtures", "golden");

export function goldenFiles(): string[] {
  return readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith(".frames"))
    .sort();
}

export function readFrames(file: string): CapturedFrame[] {
  const lines = readFileSync(join(GOLDEN_DIR, file), "utf8").split("\n");
  const out: CapturedFrame[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const m = /^# (request|response) conn=(\d+) seq=(\d+) apiKey=(-?\d+) apiVersion=(-?\d+) correlationId=(-?\d+)/.exec(
      lines[i]!,
    );
    if (m === null) throw new Error(`${file}:${i + 1}: not a frame header: ${lines[i]}`);
    out.push({
      kind: m[1] as "request" | "response",
      conn: Number(m[2]),
      seq: Number(m[3]),
      apiKey: Number(m[4]),
      apiVersion: Number(m[5]),
      correlationId: Number(m[6]),
      bytes: Buffer.from(lines[i + 1]!, "hex"),
    });
  }
  return out;
}
