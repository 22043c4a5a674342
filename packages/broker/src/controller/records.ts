// Metadata log records, named and shaped after Kafka's metadata records
// (metadata/src/main/resources/common/metadata/*.json, KIP-631), field names camelCased. One raft
// entry carries a batch of records that is applied atomically. The union is open: ACL, SCRAM and
// quota records join it later as new `type`s.
import { Packr } from "msgpackr";

export interface BrokerEndpoint {
  name: string;
  host: string;
  port: number;
  securityProtocol: number;
}

export interface BrokerFeature {
  name: string;
  minSupportedVersion: number;
  maxSupportedVersion: number;
}

/** brokerEpoch -1 = "the offset of the entry carrying this record" (filled in by replay). */
export interface RegisterBrokerRecord {
  type: "RegisterBroker";
  brokerId: number;
  incarnationId: string;
  brokerEpoch: number;
  endPoints: BrokerEndpoint[];
  features: BrokerFeature[];
  rack: string | null;
  fenced: boolean;
  inControlledShutdown: boolean;
  logDirs: string[];
}

/** Absent optional fields are unchanged (Kafka's tagged fields). */
export interface BrokerRegistrationChangeRecord {
  type: "BrokerRegistrationChange";
  brokerId: number;
  brokerEpoch: number;
  fenced?: boolean;
  inControlledShutdown?: boolean;
}

export interface UnregisterBrokerRecord {
  type: "UnregisterBroker";
  brokerId: number;
  brokerEpoch: number;
}

export interface TopicRecord {
  type: "Topic";
  name: string;
  topicId: string;
}

/** Kafka's LeaderRecoveryState (KIP-704): RECOVERING after an unclean election. */
export const LeaderRecoveryState = { RECOVERED: 0, RECOVERING: 1 } as const;
export const NO_LEADER = -1;

export interface PartitionRecord {
  type: "Partition";
  partitionId: number;
  topicId: string;
  replicas: number[];
  isr: number[];
  removingReplicas: number[];
  addingReplicas: number[];
  leader: number;
  leaderRecoveryState: number;
  leaderEpoch: number;
  partitionEpoch: number;
}

/**
 * A change to a partition: absent fields are unchanged, leader -1 = no leader. Replay bumps the
 * leader epoch when the leader changes and the partition epoch on every change (Kafka's
 * PartitionRegistration.merge).
 */
export interface PartitionChangeRecord {
  type: "PartitionChange";
  partitionId: number;
  topicId: string;
  isr?: number[];
  leader?: number;
  replicas?: number[];
  removingReplicas?: number[];
  addingReplicas?: number[];
  leaderRecoveryState?: number;
}

export interface RemoveTopicRecord {
  type: "RemoveTopic";
  topicId: string;
}

/** Kafka's ConfigResource.Type values. */
export const ConfigResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4 } as const;

/** value null = delete the key. Broker resourceName "" = the cluster-wide default. */
export interface ConfigRecord {
  type: "Config";
  resourceType: number;
  resourceName: string;
  name: string;
  value: string | null;
}

export interface ProducerIdsRecord {
  type: "ProducerIds";
  brokerId: number;
  brokerEpoch: number;
  nextProducerId: number;
}

export interface FeatureLevelRecord {
  type: "FeatureLevel";
  name: string;
  featureLevel: number;
}

export interface NoOpRecord {
  type: "NoOp";
}

export type MetadataRecord =
  | RegisterBrokerRecord
  | BrokerRegistrationChangeRecord
  | UnregisterBrokerRecord
  | TopicRecord
  | PartitionRecord
  | PartitionChangeRecord
  | RemoveTopicRecord
  | ConfigRecord
  | ProducerIdsRecord
  | FeatureLevelRecord
  | NoOpRecord;

export type MetadataRecordType = MetadataRecord["type"];

// ---- encoding: [version byte][msgpack array of records] ----

/** Bump when a record's shape changes incompatibly; decode keeps reading older versions. */
export const RECORD_BATCH_VERSION = 1;

const packr = new Packr({ useRecords: false, moreTypes: false });

export class MetadataRecordError extends Error {
  override readonly name = "MetadataRecordError";
}

export function encodeRecordBatch(records: readonly MetadataRecord[]): Uint8Array {
  const body = packr.pack(records);
  const out = new Uint8Array(body.length + 1);
  out[0] = RECORD_BATCH_VERSION;
  out.set(body, 1);
  return out;
}

export function decodeRecordBatch(bytes: Uint8Array): MetadataRecord[] {
  if (bytes.length < 2) throw new MetadataRecordError(`metadata record batch too short (${bytes.length} bytes)`);
  const version = bytes[0];
  if (version !== RECORD_BATCH_VERSION) {
    throw new MetadataRecordError(
      `unsupported metadata record batch version ${version}; this build reads version ${RECORD_BATCH_VERSION}`,
    );
  }
  let value: unknown;
  try {
    value = packr.unpack(bytes.subarray(1));
  } catch (err) {
    throw new MetadataRecordError(`metadata record batch is not valid msgpack: ${(err as Error).message}`);
  }
  if (!Array.isArray(value)) throw new MetadataRecordError("metadata record batch is not an array of records");
  return value.map((r, i) => checkRecord(r, i));
}

// ---- shape check on decode: the log is trusted input, but a torn or foreign entry must fail loudly ----

type FieldKind = "int" | "str" | "str?" | "bool" | "ints" | "strs" | "endpoints" | "features";
type Shape = Record<string, FieldKind>;

const SHAPES: Record<MetadataRecordType, { required: Shape; optional?: Shape }> = {
  RegisterBroker: {
    required: {
      brokerId: "int",
      incarnationId: "str",
      brokerEpoch: "int",
      endPoints: "endpoints",
      features: "features",
      rack: "str?",
      fenced: "bool",
      inControlledShutdown: "bool",
      logDirs: "strs",
    },
  },
  BrokerRegistrationChange: {
    required: { brokerId: "int", brokerEpoch: "int" },
    optional: { fenced: "bool", inControlledShutdown: "bool" },
  },
  UnregisterBroker: { required: { brokerId: "int", brokerEpoch: "int" } },
  Topic: { required: { name: "str", topicId: "str" } },
  Partition: {
    required: {
      partitionId: "int",
      topicId: "str",
      replicas: "ints",
      isr: "ints",
      removingReplicas: "ints",
      addingReplicas: "ints",
      leader: "int",
      leaderRecoveryState: "int",
      leaderEpoch: "int",
      partitionEpoch: "int",
    },
  },
  PartitionChange: {
    required: { partitionId: "int", topicId: "str" },
    optional: {
      isr: "ints",
      leader: "int",
      replicas: "ints",
      removingReplicas: "ints",
      addingReplicas: "ints",
      leaderRecoveryState: "int",
    },
  },
  RemoveTopic: { required: { topicId: "str" } },
  Config: { required: { resourceType: "int", resourceName: "str", name: "str", value: "str?" } },
  ProducerIds: { required: { brokerId: "int", brokerEpoch: "int", nextProducerId: "int" } },
  FeatureLevel: { required: { name: "str", featureLevel: "int" } },
  NoOp: { required: {} },
};

const isInt = (v: unknown): boolean => Number.isSafeInteger(v);
const isStr = (v: unknown): boolean => typeof v === "string";
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function kindOk(kind: FieldKind, v: unknown): boolean {
  switch (kind) {
    case "int":
      return isInt(v);
    case "str":
      return isStr(v);
    case "str?":
      return v === null || isStr(v);
    case "bool":
      return typeof v === "boolean";
    case "ints":
      return Array.isArray(v) && v.every(isInt);
    case "strs":
      return Array.isArray(v) && v.every(isStr);
    case "endpoints":
      return (
        Array.isArray(v) &&
        v.every((e) => isObj(e) && isStr(e.name) && isStr(e.host) && isInt(e.port) && isInt(e.securityProtocol))
      );
    case "features":
      return (
        Array.isArray(v) &&
        v.every((f) => isObj(f) && isStr(f.name) && isInt(f.minSupportedVersion) && isInt(f.maxSupportedVersion))
      );
  }
}

function checkRecord(r: unknown, index: number): MetadataRecord {
  if (!isObj(r)) throw new MetadataRecordError(`metadata record ${index} is not an object`);
  const type = r.type;
  const shape = typeof type === "string" ? SHAPES[type as MetadataRecordType] : undefined;
  if (shape === undefined) {
    throw new MetadataRecordError(
      `metadata record ${index} has unknown type ${JSON.stringify(type)}; known: ${Object.keys(SHAPES).join(", ")}`,
    );
  }
  for (const [field, kind] of Object.entries(shape.required)) {
    if (!kindOk(kind, r[field])) {
      throw new MetadataRecordError(`metadata record ${index} (${type}): field ${field} is missing or not a ${kind}`);
    }
  }
  for (const [field, kind] of Object.entries(shape.optional ?? {})) {
    if (r[field] !== undefined && !kindOk(kind, r[field])) {
      throw new MetadataRecordError(`metadata record ${index} (${type}): field ${field} is not a ${kind}`);
    }
  }
  return r as unknown as MetadataRecord;
}
