// Metadata (key 3): from this broker's MetadataImage — every unfenced registered broker (its
// endpoint on the listener the request came in on), the controller id clients send admin requests
// to (a live broker, see controllerIdForClients), and per partition the
// real leader (-1 when none), leader epoch, replicas, ISR and offline replicas (replicas on fenced
// or unregistered brokers). Auto-creates requested topics through the controller when
// auto.create.topics.enable and the request allows it (v4+ flag; always before v4).
// Topic entries are cached per topic-table version (a metadata request decodes nothing per partition).
import {
  ApiKey,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseMetadataResponseTopic,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import { controllerIdForClients, liveEndpoints, offlineReplicas } from "../metadata/broker-endpoints.js";
import type { TopicState } from "../metadata/topic-manager.js";
import { isInternalTopic, topicNameError } from "../metadata/topic-name.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

const NO_OPS = -2147483648;
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

const topicCache = new WeakMap<
  BrokerServices,
  { version: number; entries: Map<string, MetadataResponseMetadataResponseTopic> }
>();

function describeTopic(services: BrokerServices, t: TopicState): MetadataResponseMetadataResponseTopic {
  let cache = topicCache.get(services);
  if (cache === undefined || cache.version !== services.topics.version) {
    cache = { version: services.topics.version, entries: new Map() };
    topicCache.set(services, cache);
  }
  let entry = cache.entries.get(t.name);
  if (entry === undefined) {
    const image = services.topics.image;
    entry = {
      errorCode: ErrorCode.NONE,
      name: t.name,
      topicId: t.topicId,
      isInternal: t.isInternal,
      partitions: t.partitions.map((p) => ({
        errorCode: 0,
        partitionIndex: p.index,
        leaderId: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [...p.replicas],
        isrNodes: [...p.isr],
        offlineReplicas: offlineReplicas(image, p.replicas),
      })),
      topicAuthorizedOperations: NO_OPS,
    };
    cache.entries.set(t.name, entry);
  }
  return entry;
}

function errorTopic(
  name: string | null,
  errorCode: number,
  topicId = ZERO_UUID,
): MetadataResponseMetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: NO_OPS };
}

async function lookup(
  services: BrokerServices,
  name: string,
  autoCreate: boolean,
): Promise<MetadataResponseMetadataResponseTopic> {
  const t = services.topics.get(name);
  if (t !== undefined) return describeTopic(services, t);
  if (topicNameError(name) !== null) return errorTopic(name, ErrorCode.INVALID_TOPIC_EXCEPTION);
  if (!autoCreate || isInternalTopic(name)) return errorTopic(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const created = await services.admin.getOrCreate({ name, numPartitions: -1, replicationFactor: -1, configs: {} });
  if ("errorCode" in created) return errorTopic(name, created.errorCode);
  services.logger.info({ topic: name, partitions: created.partitions.length }, "auto-created topic");
  return describeTopic(services, created);
}

export const metadataHandler: Handler<MetadataRequest, MetadataResponse, BrokerServices> = {
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(req, ctx) {
    const s = ctx.services;
    const v = ctx.apiVersion;
    const allTopics = req.topics === null || (v === 0 && req.topics.length === 0);
    let topics: MetadataResponseMetadataResponseTopic[];
    if (allTopics) {
      topics = [...s.topics.all()].map((t) => describeTopic(s, t));
    } else {
      const autoCreate = s.config["auto.create.topics.enable"] && (v < 4 || req.allowAutoTopicCreation !== false);
      topics = [];
      for (const rt of req.topics!) {
        if (rt.name === null || rt.name === undefined) {
          const byId = rt.topicId !== undefined ? s.topics.getById(rt.topicId) : undefined;
          topics.push(
            byId !== undefined ? describeTopic(s, byId) : errorTopic(null, ErrorCode.UNKNOWN_TOPIC_ID, rt.topicId),
          );
        } else {
          topics.push(await lookup(s, rt.name, autoCreate));
        }
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: liveEndpoints(s.topics.image, s.listenerName),
      clusterId: s.clusterId,
      controllerId: controllerIdForClients(s.topics.image, s.cluster.activeControllerId(), s.nodeId),
      topics,
      clusterAuthorizedOperations: NO_OPS,
    };
  },
};
