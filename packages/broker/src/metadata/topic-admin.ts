// Topic writes (CreateTopics, DeleteTopics, CreatePartitions, topic configs, auto-creation and
// internal topics) go to the active controller through the ControllerChannel (KIP-590 forwarding)
// and are answered once this broker's topic table has applied the change — bounded by the
// controller request timeout, after which the caller gets REQUEST_TIMED_OUT (retriable). No
// controller in time: NOT_CONTROLLER (retriable). Validation errors are the controller's.
import type {
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  CreateTopicsRequest,
  CreateTopicsResponse,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from "@gregor/protocol";
import type { Logger } from "pino";
import type { ClusterNode } from "../cluster/cluster-node-types.js";
import type { TopicConfigOverrides } from "../config/topic-config.js";
import { AlterConfigOp, ConfigResourceType, type MetadataImage } from "../controller/index.js";
import { ErrorCode } from "../errors.js";
import type { TopicManager, TopicState } from "./topic-manager.js";

const CREATE_TOPICS = 19;
const DELETE_TOPICS = 20;
const CREATE_PARTITIONS = 37;
const INCREMENTAL_ALTER_CONFIGS = 44;
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

export interface TopicResult {
  errorCode: number;
  errorMessage: string | null;
}

export interface CreateResult extends TopicResult {
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
}

export interface CreateSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  configs: TopicConfigOverrides;
  /** Manual replica assignment (partition i -> brokers); empty for the placer's choice. */
  assignments?: readonly (readonly number[])[];
}

/** A per-topic result in a controller response. */
interface TopicError {
  errorCode: number;
  errorMessage?: string | null;
}

const OK: TopicResult = { errorCode: ErrorCode.NONE, errorMessage: null };

/** Unfenced registered brokers (the ones that can take replicas). */
export function liveBrokerCount(image: MetadataImage): number {
  let n = 0;
  for (const b of image.brokers.values()) if (!b.fenced && !b.inControlledShutdown) n++;
  return n;
}

export class TopicAdmin {
  private readonly creating = new Map<string, Promise<CreateResult>>();

  constructor(
    private readonly node: ClusterNode,
    private readonly topics: TopicManager,
    private readonly logger: Logger,
    /** How long a write waits for this broker's image to show it (controller.quorum.request.timeout.ms). */
    private readonly applyTimeoutMs: number,
  ) {}

  /**
   * Sends a one-topic request to the active controller: the topic's result (the first of
   * `results`), or the error to answer with — NOT_CONTROLLER when the channel fails,
   * UNKNOWN_SERVER_ERROR when the response holds no result.
   */
  private async forward<T, R extends TopicError>(
    apiKey: number,
    body: unknown,
    results: (res: T) => readonly R[],
  ): Promise<{ result: R } | TopicResult> {
    let res: T;
    try {
      res = await this.node.sendToController<T>(apiKey, body, {
        isNotController: (r) => results(r).some((x) => x.errorCode === ErrorCode.NOT_CONTROLLER),
      });
    } catch (err) {
      this.logger.debug({ err, apiKey }, "controller request failed");
      return { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: `No active controller answered: ${String(err)}` };
    }
    const result = results(res)[0];
    return result === undefined ? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null } : { result };
  }

  /** `forward` for a write answered by an error code and message only. */
  private async forwardWrite<T>(
    apiKey: number,
    body: unknown,
    results: (res: T) => readonly TopicError[],
  ): Promise<TopicResult> {
    const res = await this.forward(apiKey, body, results);
    if (!("result" in res)) return res;
    return { errorCode: res.result.errorCode, errorMessage: res.result.errorMessage ?? null };
  }

  /** Waits until this broker's topic table satisfies `check`; REQUEST_TIMED_OUT otherwise. */
  private async applied(check: () => boolean, what: string): Promise<TopicResult> {
    if (await this.topics.waitFor(check, this.applyTimeoutMs)) return OK;
    return {
      errorCode: ErrorCode.REQUEST_TIMED_OUT,
      errorMessage: `The controller accepted the change but this broker did not apply ${what} within ${this.applyTimeoutMs} ms.`,
    };
  }

  async create(spec: CreateSpec, validateOnly: boolean): Promise<CreateResult> {
    const assignments = (spec.assignments ?? []).map((brokerIds, partitionIndex) => ({
      partitionIndex,
      brokerIds: [...brokerIds],
    }));
    const req: CreateTopicsRequest = {
      topics: [
        {
          name: spec.name,
          numPartitions: assignments.length > 0 ? -1 : spec.numPartitions,
          replicationFactor: assignments.length > 0 ? -1 : spec.replicationFactor,
          assignments,
          configs: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
        },
      ],
      timeoutMs: this.applyTimeoutMs,
      validateOnly,
    };
    const res = await this.forward(CREATE_TOPICS, req, (r: CreateTopicsResponse) => r.topics);
    if (!("result" in res)) return { topicId: ZERO_UUID, numPartitions: -1, replicationFactor: -1, ...res };
    const t = res.result;
    const result: CreateResult = {
      errorCode: t.errorCode,
      errorMessage: t.errorMessage ?? null,
      topicId: t.topicId ?? ZERO_UUID,
      numPartitions: t.numPartitions ?? -1,
      replicationFactor: t.replicationFactor ?? -1,
    };
    if (result.errorCode !== ErrorCode.NONE || validateOnly) return result;
    const done = await this.applied(() => this.topics.get(spec.name)?.topicId === result.topicId, `topic ${spec.name}`);
    return done.errorCode === ErrorCode.NONE ? result : { ...result, ...done };
  }

  /**
   * The topic, creating it when missing (auto-creation, internal topics); concurrent calls for one
   * name share the creation. An existing-topic race (TOPIC_ALREADY_EXISTS) waits for the topic.
   */
  async getOrCreate(spec: CreateSpec): Promise<TopicState | TopicResult> {
    const existing = this.topics.get(spec.name);
    if (existing !== undefined) return existing;
    let pending = this.creating.get(spec.name);
    if (pending === undefined) {
      pending = this.create(spec, false).finally(() => this.creating.delete(spec.name));
      this.creating.set(spec.name, pending);
    }
    const result = await pending;
    if (result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) {
      await this.applied(() => this.topics.get(spec.name) !== undefined, `topic ${spec.name}`);
    } else if (result.errorCode !== ErrorCode.NONE) {
      return result;
    }
    return (
      this.topics.get(spec.name) ?? {
        errorCode: ErrorCode.REQUEST_TIMED_OUT,
        errorMessage: `Topic ${spec.name} was not created in time.`,
      }
    );
  }

  async delete(t: TopicState): Promise<TopicResult> {
    // By name (v1-5 topicNames, v6 topics): the controller resolves the id.
    const req: DeleteTopicsRequest = {
      topics: [{ name: t.name, topicId: ZERO_UUID }],
      topicNames: [t.name],
      timeoutMs: this.applyTimeoutMs,
    };
    const r = await this.forwardWrite(DELETE_TOPICS, req, (res: DeleteTopicsResponse) => res.responses);
    if (r.errorCode !== ErrorCode.NONE) return r;
    return this.applied(() => this.topics.getById(t.topicId) === undefined, `the deletion of ${t.name}`);
  }

  async createPartitions(
    name: string,
    count: number,
    assignments: readonly (readonly number[])[] | null,
    validateOnly: boolean,
  ): Promise<TopicResult> {
    const req: CreatePartitionsRequest = {
      topics: [{ name, count, assignments: assignments?.map((a) => ({ brokerIds: [...a] })) ?? null }],
      timeoutMs: this.applyTimeoutMs,
      validateOnly,
    };
    const r = await this.forwardWrite(CREATE_PARTITIONS, req, (res: CreatePartitionsResponse) => res.results);
    if (r.errorCode !== ErrorCode.NONE || validateOnly) return r;
    return this.applied(
      () => (this.topics.get(name)?.partitions.length ?? 0) >= count,
      `${count} partitions of ${name}`,
    );
  }

  /** Replaces a topic's overrides with `next` (SET each, DELETE the rest) via the controller. */
  async setConfigs(name: string, next: TopicConfigOverrides, validateOnly: boolean): Promise<TopicResult> {
    const current = this.topics.get(name)?.configs ?? {};
    const configs = [
      ...Object.entries(next).map(([key, value]) => ({ name: key, configOperation: AlterConfigOp.SET, value })),
      ...Object.keys(current)
        .filter((key) => !(key in next))
        .map((key) => ({ name: key, configOperation: AlterConfigOp.DELETE, value: null })),
    ];
    const req: IncrementalAlterConfigsRequest = {
      resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: name, configs }],
      validateOnly,
    };
    const r = await this.forwardWrite(
      INCREMENTAL_ALTER_CONFIGS,
      req,
      (res: IncrementalAlterConfigsResponse) => res.responses,
    );
    if (r.errorCode !== ErrorCode.NONE || validateOnly) return r;
    return this.applied(() => sameConfigs(this.topics.get(name)?.configs, next), `the configs of ${name}`);
  }
}

function sameConfigs(a: TopicConfigOverrides | undefined, b: TopicConfigOverrides): boolean {
  if (a === undefined) return false;
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((k) => a[k] === b[k]);
}
