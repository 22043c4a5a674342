// `meta.properties` in every log dir, as Kafka writes it in KRaft mode (KIP-500 v1 format,
// `directory.id` from KIP-858): version, cluster.id, node.id, directory.id. `formatStorage` is
// kafka-storage.sh format; `checkStorage` is the start-up check (Kafka's MetaPropertiesEnsemble
// verify), with Kafka's messages. Files written by older Gregor versions (no directory.id) keep
// working: start-up adds a directory.id, as Kafka 3.7+ does.
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { BrokerConfig } from "../config/broker-keys.js";
import { isSingleNodeQuorum, logDirs, metadataLogDir } from "../config/kraft.js";
import { formatProperties, parseProperties } from "../config/properties.js";

export const META_PROPERTIES = "meta.properties";

/** What `format` reports as metadata.version: Gregor's metadata records follow Kafka 4.0's. */
export const METADATA_VERSION = "4.0-IV3";

/** A storage check or format failed; the message is the one line the tool or start-up prints. */
export class StorageError extends Error {
  override readonly name = "StorageError";
}

export interface MetaProperties {
  version: number;
  clusterId: string;
  nodeId: number;
  /** null in files written before KIP-858 (and by Gregor before directory ids). */
  directoryId: string | null;
}

export type RandomBytes = (size: number) => Uint8Array;

/**
 * A Kafka-style UUID (Kafka's Uuid.randomUuid): a version-4 UUID as 22 characters of base64url
 * without padding, never starting with "-" (a command line would read it as a flag).
 */
export function randomUuid(random: RandomBytes = randomBytes): string {
  for (;;) {
    const bytes = Buffer.from(random(16));
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const text = bytes.toString("base64url");
    if (!text.startsWith("-")) return text;
  }
}

/** Kafka's cluster id: a random base64 UUID. */
export const newClusterId = (): string => randomUuid();

/** Why `text` is not a base64 UUID (Kafka's Uuid.fromString wording), or null when it is one. */
export function uuidProblem(text: string): string | null {
  if (text.length > 24)
    return `Input string with prefix \`${text.slice(0, 24)}\` is too long to be decoded as a base64 UUID`;
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return `Input string \`${text}\` is not base64url`;
  const size = Buffer.from(text, "base64url").length;
  if (size !== 16)
    return `Input string \`${text}\` decoded as ${size} bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID`;
  return null;
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** Reads `dir/meta.properties`; null when the dir or the file does not exist. */
export async function readMetaProperties(dir: string): Promise<MetaProperties | null> {
  const path = join(dir, META_PROPERTIES);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if (errnoCode(e) === "ENOENT" || errnoCode(e) === "ENOTDIR") return null;
    throw new StorageError(`Unable to read ${path}: ${(e as Error).message}`);
  }
  const props = parseProperties(text);
  const version = Number(props.get("version") ?? "0");
  const clusterId = props.get("cluster.id") ?? "";
  const nodeText = props.get("node.id") ?? props.get("broker.id");
  if (!Number.isInteger(version) || clusterId === "" || nodeText === undefined || !/^\d+$/.test(nodeText)) {
    throw new StorageError(`Unable to read ${path}: it needs version, cluster.id and node.id (found ${text.trim()})`);
  }
  return { version, clusterId, nodeId: Number(nodeText), directoryId: props.get("directory.id") ?? null };
}

/** Writes meta.properties durably: a temp file, fsync, rename over the old one. */
async function writeMetaProperties(dir: string, meta: MetaProperties): Promise<void> {
  const path = join(dir, META_PROPERTIES);
  const entries: [string, string][] = [["cluster.id", meta.clusterId]];
  if (meta.directoryId !== null) entries.push(["directory.id", meta.directoryId]);
  entries.push(["node.id", String(meta.nodeId)], ["version", String(meta.version)]);
  const body = formatProperties(entries, `Written by Gregor at ${new Date().toISOString()}`);
  const file = await open(`${path}.tmp`, "w");
  try {
    await file.writeFile(body);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(`${path}.tmp`, path);
}

/** Kafka's printout of a meta.properties: `{cluster.id=..., directory.id=..., node.id=1, version=1}`. */
export function describeMetaProperties(meta: MetaProperties, withDirectoryId = true): string {
  const parts = [`cluster.id=${meta.clusterId}`];
  if (withDirectoryId && meta.directoryId !== null) parts.push(`directory.id=${meta.directoryId}`);
  parts.push(`node.id=${meta.nodeId}`, `version=${meta.version}`);
  return `{${parts.join(", ")}}`;
}

/** The metadata log dir first, then the log dirs; resolved, each once. */
function uniqueDirs(metadataDir: string | undefined, dirs: readonly string[]): string[] {
  const all = [...(metadataDir === undefined ? [] : [metadataDir]), ...dirs].map((d) => resolve(d));
  return [...new Set(all)];
}

/** Every directory the node keeps data in (log.dirs and metadata.log.dir), the metadata one first. */
export function storageDirs(config: BrokerConfig): string[] {
  return uniqueDirs(metadataLogDir(config), logDirs(config));
}

function clusterIdMismatch(dir: string, expected: string, read: string): StorageError {
  return new StorageError(
    `Invalid cluster.id in: ${join(dir, META_PROPERTIES)}. Expected ${expected}, but read ${read}`,
  );
}

function nodeIdMismatch(dir: string, expected: number, read: number): StorageError {
  return new StorageError(
    `Stored node id ${read} doesn't match previous node id ${expected} in ${join(dir, META_PROPERTIES)}. ` +
      "If you moved your data, make sure your configured node id matches. " +
      "If you intend to create a new node, you should remove all data in your data directories.",
  );
}

/** Checks formatted dirs agree with each other and with the expected ids; returns the cluster id. */
function verifyEnsemble(
  formatted: ReadonlyMap<string, MetaProperties>,
  expectedClusterId: string | undefined,
  nodeId: number,
): string | undefined {
  let clusterId = expectedClusterId;
  const seen = new Map<string, string>();
  for (const [dir, meta] of formatted) {
    clusterId ??= meta.clusterId;
    if (meta.clusterId !== clusterId) throw clusterIdMismatch(dir, clusterId, meta.clusterId);
    if (meta.nodeId !== nodeId) throw nodeIdMismatch(dir, nodeId, meta.nodeId);
    if (meta.directoryId !== null) {
      const other = seen.get(meta.directoryId);
      if (other !== undefined)
        throw new StorageError(
          `Duplicate directory.id ${meta.directoryId} in ${other} and ${dir}: give each a new one`,
        );
      seen.set(meta.directoryId, dir);
    }
  }
  return clusterId;
}

async function readAll(dirs: readonly string[]): Promise<{ formatted: Map<string, MetaProperties>; empty: string[] }> {
  const formatted = new Map<string, MetaProperties>();
  const empty: string[] = [];
  for (const dir of dirs) {
    const meta = await readMetaProperties(dir);
    if (meta === null) empty.push(dir);
    else formatted.set(dir, meta);
  }
  return { formatted, empty };
}

async function createDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new StorageError(`Unable to create storage directory ${dir}: ${(e as Error).message}`);
  }
}

export interface FormatStorageOptions {
  /** log.dirs. */
  dirs: readonly string[];
  /** metadata.log.dir (default: the first of dirs). */
  metadataLogDir?: string;
  clusterId: string;
  nodeId: number;
  /** Skip dirs already formatted (for this cluster and node) instead of failing. */
  ignoreFormatted?: boolean;
  random?: RandomBytes;
}

export interface FormattedDir {
  dir: string;
  /** The metadata log dir (`__cluster_metadata-0` lives there). */
  metadata: boolean;
  directoryId: string;
}

export interface FormatResult {
  formatted: FormattedDir[];
  /** Dirs skipped with ignoreFormatted. */
  alreadyFormatted: string[];
}

/** kafka-storage.sh format: writes meta.properties (new directory.id each) in every unformatted dir. */
export async function formatStorage(options: FormatStorageOptions): Promise<FormatResult> {
  const problem = uuidProblem(options.clusterId);
  if (problem !== null)
    throw new StorageError(`Cluster ID string ${options.clusterId} does not appear to be a valid UUID: ${problem}`);
  const dirs = uniqueDirs(options.metadataLogDir, options.dirs);
  if (dirs.length === 0) throw new StorageError("No log directories found in the configuration.");
  const { formatted, empty } = await readAll(dirs);
  verifyEnsemble(formatted, options.clusterId, options.nodeId);
  const first = [...formatted.keys()][0];
  if (first !== undefined && options.ignoreFormatted !== true) {
    throw new StorageError(
      `Log directory ${first} is already formatted. Use --ignore-formatted to ignore this directory and format the others.`,
    );
  }
  const out: FormattedDir[] = [];
  for (const dir of empty) {
    await createDir(dir);
    const directoryId = randomUuid(options.random);
    await writeMetaProperties(dir, { version: 1, clusterId: options.clusterId, nodeId: options.nodeId, directoryId });
    out.push({ dir, metadata: dir === dirs[0], directoryId });
  }
  return { formatted: out, alreadyFormatted: [...formatted.keys()] };
}

export interface CheckStorageOptions {
  /** The cluster id the node must have (startBroker({ clusterId })); a fresh single node takes it. */
  clusterId?: string;
  random?: RandomBytes;
}

export interface StorageState {
  clusterId: string;
  nodeId: number;
  /** Every data dir (metadata log dir first) and its meta.properties. */
  dirs: Map<string, MetaProperties>;
  /** This start formatted a fresh single node's dirs. */
  selfFormatted: boolean;
}

const UNFORMATTED_HINT =
  " Format every node's log directories first, with one cluster id: bin/kafka-storage.sh random-uuid, then bin/kafka-storage.sh format -t <cluster-id> -c <server.properties>.";

/**
 * The start-up check. Formatted dirs must agree (cluster id, node.id = the config's). A node with
 * no formatted dir starts only if it is its own one-voter quorum (the single-node default), which
 * formats itself; in a multi-node quorum it refuses with Kafka's message. An empty log dir next to
 * formatted ones (a disk added later) gets meta.properties; an empty metadata log dir does not.
 */
export async function checkStorage(config: BrokerConfig, options: CheckStorageOptions = {}): Promise<StorageState> {
  const nodeId = config["node.id"];
  const dirs = storageDirs(config);
  const metadataDir = dirs[0]!;
  const { formatted, empty } = await readAll(dirs);
  const known = verifyEnsemble(formatted, options.clusterId, nodeId);
  if (formatted.size === 0 && !isSingleNodeQuorum(config)) {
    throw new StorageError(`No readable meta.properties files found.${UNFORMATTED_HINT}`);
  }
  const clusterId = known ?? randomUuid(options.random);
  if (formatted.size > 0 && empty.includes(metadataDir)) {
    throw new StorageError(
      `The metadata log directory ${metadataDir} has no meta.properties while ${[...formatted.keys()].join(", ")} ` +
        `is formatted for cluster ${clusterId}: run bin/kafka-storage.sh format -t ${clusterId} -c <server.properties> --ignore-formatted`,
    );
  }
  const out = new Map<string, MetaProperties>();
  for (const dir of dirs) {
    let meta = formatted.get(dir) ?? null;
    if (meta === null || meta.directoryId === null || meta.version !== 1) {
      if (meta === null) await createDir(dir);
      meta = { version: 1, clusterId, nodeId, directoryId: meta?.directoryId ?? randomUuid(options.random) };
      await writeMetaProperties(dir, meta);
    }
    out.set(dir, meta);
  }
  return { clusterId, nodeId, dirs: out, selfFormatted: formatted.size === 0 };
}

export interface StorageInfo {
  /** Dirs that exist. */
  found: string[];
  metadata: MetaProperties | null;
  problems: string[];
}

/** kafka-storage.sh info: what each dir holds and what is wrong with it. */
export async function storageInfo(dirs: readonly string[]): Promise<StorageInfo> {
  const info: StorageInfo = { found: [], metadata: null, problems: [] };
  for (const dir of [...new Set(dirs.map((d) => resolve(d)))].sort()) {
    const kind = await stat(dir).then(
      (s) => (s.isDirectory() ? "dir" : "file"),
      () => "missing",
    );
    if (kind !== "dir") {
      info.problems.push(kind === "missing" ? `${dir} does not exist` : `${dir} is not a directory`);
      continue;
    }
    info.found.push(dir);
    let meta: MetaProperties | null;
    try {
      meta = await readMetaProperties(dir);
    } catch (e) {
      info.problems.push((e as Error).message);
      continue;
    }
    if (meta === null) info.problems.push(`${dir} is not formatted.`);
    else if (info.metadata === null) info.metadata = meta;
    else if (describeMetaProperties(meta, false) !== describeMetaProperties(info.metadata, false)) {
      info.problems.push(
        `Metadata for ${join(dir, META_PROPERTIES)} was ${describeMetaProperties(meta)}, but other directories featured ${describeMetaProperties(info.metadata)}`,
      );
    }
  }
  return info;
}
