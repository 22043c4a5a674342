// Shared by the follower tests: a node's replica of a partition as bytes on disk.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { LocalCluster } from "../../src/index.js";

/** Concatenated .log segment files of a node's replica of the partition (empty when it has none). */
export async function segmentBytes(cluster: LocalCluster, nodeId: number, topic: string, p: number): Promise<Buffer> {
  const dir = join(cluster.node(nodeId).dataDir, `${topic}-${p}`);
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith(".log")).sort();
  } catch {
    return Buffer.alloc(0);
  }
  return Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
}
