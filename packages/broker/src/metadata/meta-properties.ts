// `meta.properties` in the data dir, as Kafka writes it in KRaft mode: version, cluster.id, node.id.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { formatProperties, parseProperties } from "../config/properties.js";

/** A Kafka-style cluster id: 16 random bytes, base64url without padding (22 characters). */
export function newClusterId(): string {
  return randomBytes(16).toString("base64url");
}

/** Reads meta.properties (checking node.id) or writes a new one; returns the cluster id. */
export async function ensureMetaProperties(dataDir: string, nodeId: number, clusterId?: string): Promise<string> {
  const path = join(dataDir, "meta.properties");
  let text: string | null = null;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  if (text !== null) {
    const props = parseProperties(text);
    const storedNode = props.get("node.id");
    if (storedNode !== undefined && Number(storedNode) !== nodeId) {
      throw new Error(`Stored node id ${storedNode} in ${path} doesn't match the configured node.id ${nodeId}`);
    }
    const stored = props.get("cluster.id");
    if (stored !== undefined && stored !== "") {
      if (clusterId !== undefined && clusterId !== stored)
        throw new Error(`Stored cluster.id ${stored} in ${path} doesn't match the requested ${clusterId}`);
      return stored;
    }
  }
  const id = clusterId ?? newClusterId();
  await mkdir(dataDir, { recursive: true });
  const body = formatProperties(
    [
      ["version", "1"],
      ["cluster.id", id],
      ["node.id", String(nodeId)],
    ],
    `Written by Gregor at ${new Date().toISOString()}`,
  );
  await writeFile(`${path}.tmp`, body);
  await rename(`${path}.tmp`, path);
  return id;
}
