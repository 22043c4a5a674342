// MetadataImage: an immutable snapshot of the cluster's metadata, built by replaying the metadata
// log (Kafka's org.apache.kafka.image.MetadataImage). Every map is read-only; a new image shares
// every object the change did not touch (MetadataDelta.apply).
import type { BrokerEndpoint, BrokerFeature } from "./records.js";

export interface BrokerRegistration {
  readonly brokerId: number;
  readonly incarnationId: string;
  /**
   * The offset of the RegisterBroker record that created this registration (KIP-631). The broker
   * is unfenced only once it has replayed up to this offset.
   */
  readonly brokerEpoch: number;
  readonly endPoints: readonly BrokerEndpoint[];
  readonly features: readonly BrokerFeature[];
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
  readonly logDirs: readonly string[];
}

export interface PartitionRegistration {
  readonly partitionId: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly removingReplicas: readonly number[];
  readonly addingReplicas: readonly number[];
  /** -1 = no leader (offline). */
  readonly leader: number;
  readonly leaderRecoveryState: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export interface TopicImage {
  readonly name: string;
  readonly topicId: string;
  /** Indexed by partition id (0..n-1). */
  readonly partitions: readonly PartitionRegistration[];
}

export interface TopicsImage {
  readonly byName: ReadonlyMap<string, TopicImage>;
  readonly byId: ReadonlyMap<string, TopicImage>;
}

/** Config key -> value for one resource. */
export type ConfigMap = ReadonlyMap<string, string>;

/** resourceType (ConfigResourceType) -> resourceName -> configs. Broker "" = cluster-wide. */
export type ConfigsImage = ReadonlyMap<number, ReadonlyMap<string, ConfigMap>>;

export interface MetadataImage {
  /** Offset of the last entry applied; -1 for the empty image. */
  readonly offset: number;
  /** Feature name (metadata.version, kraft.version, ...) -> level. */
  readonly features: ReadonlyMap<string, number>;
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
  readonly topics: TopicsImage;
  readonly configs: ConfigsImage;
  /** The next producer id the controller hands out (the high water of allocated blocks). */
  readonly nextProducerId: number;
}

export const EMPTY_IMAGE: MetadataImage = Object.freeze({
  offset: -1,
  features: new Map(),
  brokers: new Map(),
  topics: Object.freeze({ byName: new Map(), byId: new Map() }),
  configs: new Map(),
  nextProducerId: 0,
});

/** Configs of one resource, empty when none are set. */
export function configsOf(image: MetadataImage, resourceType: number, resourceName: string): ConfigMap {
  return image.configs.get(resourceType)?.get(resourceName) ?? EMPTY_CONFIGS;
}

const EMPTY_CONFIGS: ConfigMap = new Map();
