// The broker's topic table: names, ids, partitions (each with its log) and per-topic config
// overrides. Persisted as `topics.json` in the data dir (rewritten atomically on every change), so a
// restart reopens every topic. Single node: this broker leads every partition at leaderEpoch 0.
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BrokerConfig } from "../config/broker-config.js";
import {
  toLogConfig,
  type TopicConfigOverrides,
  type TopicLogConfig,
  validateTopicConfig,
} from "../config/topic-config.js";
import { ErrorCode } from "../errors.js";
import type { LogFactory, PartitionLog } from "../log/partition-log.js";
import { isInternalTopic, topicNameError } from "./topic-name.js";

export interface PartitionState {
  index: number;
  leaderEpoch: number;
  log: PartitionLog;
}

export interface TopicState {
  name: string;
  topicId: string;
  isInternal: boolean;
  configs: TopicConfigOverrides;
  /** Effective log config (overrides over broker defaults), refreshed on config changes. */
  logConfig: TopicLogConfig;
  partitions: PartitionState[];
}

export interface TopicResult {
  errorCode: number;
  errorMessage: string | null;
}

interface PersistedTopic {
  name: string;
  topicId: string;
  partitions: number;
  configs: TopicConfigOverrides;
}

const OK: TopicResult = { errorCode: ErrorCode.NONE, errorMessage: null };
const MAX_PARTITIONS_PER_TOPIC = 10_000;

export class TopicManager {
  private readonly topics = new Map<string, TopicState>();
  private readonly byId = new Map<string, TopicState>();
  /** Bumped on every change; cached metadata responses key on it. */
  version = 0;
  private persistChain: Promise<void> = Promise.resolve();
  private readonly creating = new Map<string, Promise<TopicResult>>();

  constructor(
    private readonly config: BrokerConfig,
    private readonly logs: LogFactory,
    /** null = nothing persisted (in-memory broker). */
    private readonly dataDir: string | null,
  ) {}

  get(name: string): TopicState | undefined {
    return this.topics.get(name);
  }
  getById(topicId: string): TopicState | undefined {
    return this.byId.get(topicId);
  }
  partition(name: string, index: number): PartitionState | undefined {
    return this.topics.get(name)?.partitions[index];
  }
  all(): IterableIterator<TopicState> {
    return this.topics.values();
  }
  get size(): number {
    return this.topics.size;
  }

  /** Reopens the topics persisted in the data dir. */
  async load(): Promise<void> {
    if (this.dataDir === null) return;
    let text: string;
    try {
      text = await readFile(join(this.dataDir, "topics.json"), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    const persisted = JSON.parse(text) as PersistedTopic[];
    await Promise.all(
      persisted.map(async (t) => {
        const state: TopicState = {
          name: t.name,
          topicId: t.topicId,
          isInternal: isInternalTopic(t.name),
          configs: t.configs,
          logConfig: toLogConfig(this.config, t.configs),
          partitions: [],
        };
        state.partitions = await this.openPartitions(state, 0, t.partitions);
        this.topics.set(t.name, state);
        this.byId.set(t.topicId, state);
      }),
    );
    this.version++;
  }

  private async openPartitions(t: TopicState, from: number, to: number): Promise<PartitionState[]> {
    const logConfig = t.logConfig;
    const out: PartitionState[] = [];
    for (let i = from; i < to; i++)
      out.push({ index: i, leaderEpoch: 0, log: await this.logs.open(t.name, i, logConfig) });
    return out;
  }

  /** Checks a CreateTopics entry without creating it. */
  validateCreate(
    name: string,
    numPartitions: number,
    replicationFactor: number,
    configs: TopicConfigOverrides,
  ): TopicResult {
    const nameError = topicNameError(name);
    if (nameError !== null) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: nameError };
    if (this.topics.has(name) || this.creating.has(name))
      return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${name}' already exists.` };
    const partitions = numPartitions === -1 ? this.config["num.partitions"] : numPartitions;
    if (partitions < 1 || partitions > MAX_PARTITIONS_PER_TOPIC)
      return {
        errorCode: ErrorCode.INVALID_PARTITIONS,
        errorMessage: `Number of partitions must be in [1, ${MAX_PARTITIONS_PER_TOPIC}], got ${numPartitions}.`,
      };
    const rf = replicationFactor === -1 ? this.config["default.replication.factor"] : replicationFactor;
    if (rf < 1)
      return {
        errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
        errorMessage: "Replication factor must be larger than 0, or -1 to use the default value.",
      };
    if (rf > 1) {
      return {
        errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
        errorMessage: `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only 1 broker(s) are registered.`,
      };
    }
    for (const [key, value] of Object.entries(configs)) {
      const err = validateTopicConfig(key, value);
      if (err !== null) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: err };
    }
    return OK;
  }

  async create(
    name: string,
    numPartitions: number,
    replicationFactor: number,
    configs: TopicConfigOverrides,
  ): Promise<TopicResult> {
    const check = this.validateCreate(name, numPartitions, replicationFactor, configs);
    if (check.errorCode !== ErrorCode.NONE) return check;
    const partitions = numPartitions === -1 ? this.config["num.partitions"] : numPartitions;
    const pending = (async (): Promise<TopicResult> => {
      const state: TopicState = {
        name,
        topicId: randomUUID(),
        isInternal: isInternalTopic(name),
        configs: { ...configs },
        logConfig: toLogConfig(this.config, configs),
        partitions: [],
      };
      state.partitions = await this.openPartitions(state, 0, partitions);
      this.topics.set(name, state);
      this.byId.set(state.topicId, state);
      this.version++;
      await this.persist();
      return OK;
    })();
    this.creating.set(name, pending);
    try {
      return await pending;
    } finally {
      this.creating.delete(name);
    }
  }

  /** Auto-create (Metadata/Produce) or wait for a concurrent creation of the same name. */
  async getOrCreate(
    name: string,
    numPartitions = -1,
    configs: TopicConfigOverrides = {},
  ): Promise<TopicState | TopicResult> {
    const existing = this.topics.get(name);
    if (existing !== undefined) return existing;
    const inFlight = this.creating.get(name);
    const result = inFlight !== undefined ? await inFlight : await this.create(name, numPartitions, -1, configs);
    if (result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) return result;
    return this.topics.get(name) ?? { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
  }

  async delete(name: string): Promise<TopicResult> {
    const t = this.topics.get(name);
    if (t === undefined)
      return {
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        errorMessage: "This server does not host this topic-partition.",
      };
    this.topics.delete(name);
    this.byId.delete(t.topicId);
    this.version++;
    await this.persist();
    await Promise.all(t.partitions.map((p) => p.log.delete()));
    return OK;
  }

  async createPartitions(name: string, count: number, validateOnly: boolean): Promise<TopicResult> {
    const t = this.topics.get(name);
    if (t === undefined)
      return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The topic '${name}' does not exist.` };
    if (count <= t.partitions.length) {
      const message =
        count === t.partitions.length
          ? `Topic already has ${count} partitions.`
          : `Topic currently has ${t.partitions.length} partitions, which is higher than the requested ${count}.`;
      return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: message };
    }
    if (count > MAX_PARTITIONS_PER_TOPIC)
      return {
        errorCode: ErrorCode.INVALID_PARTITIONS,
        errorMessage: `Number of partitions must be at most ${MAX_PARTITIONS_PER_TOPIC}.`,
      };
    if (validateOnly) return OK;
    t.partitions.push(...(await this.openPartitions(t, t.partitions.length, count)));
    this.version++;
    await this.persist();
    return OK;
  }

  /** Replaces a topic's config overrides (already validated by the caller). */
  async setConfigs(name: string, configs: TopicConfigOverrides): Promise<void> {
    const t = this.topics.get(name);
    if (t === undefined) return;
    t.configs = { ...configs };
    t.logConfig = toLogConfig(this.config, t.configs);
    for (const p of t.partitions) p.log.updateConfig(t.logConfig);
    this.version++;
    await this.persist();
  }

  private persist(): Promise<void> {
    const dir = this.dataDir;
    if (dir === null) return Promise.resolve();
    const snapshot: PersistedTopic[] = [...this.topics.values()].map((t) => ({
      name: t.name,
      topicId: t.topicId,
      partitions: t.partitions.length,
      configs: t.configs,
    }));
    // Serialised so an older snapshot never overwrites a newer one.
    this.persistChain = this.persistChain.then(async () => {
      await mkdir(dir, { recursive: true });
      const tmp = join(dir, "topics.json.tmp");
      await writeFile(tmp, JSON.stringify(snapshot, null, 1));
      await rename(tmp, join(dir, "topics.json"));
    });
    return this.persistChain;
  }

  async close(): Promise<void> {
    await this.persistChain;
    for (const t of this.topics.values()) for (const p of t.partitions) await p.log.close();
  }
}
