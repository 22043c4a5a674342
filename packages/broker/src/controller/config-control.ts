// IncrementalAlterConfigs on the controller (Kafka's ConfigurationControlManager,
// KIP-339): SET / DELETE / APPEND / SUBTRACT per key, one Config record per change. Topic configs
// are checked with the broker's topic-config table; broker configs (resource name "" = every
// broker, else a broker id) are stored as given — their dynamic validation is the broker's.
import { ErrorCode, KafkaError } from "@gregor/protocol";
import { ConfigType, TOPIC_KEYS, validateTopicConfig } from "../config/topic-config.js";
import { configsOf, type ConfigMap, type MetadataImage } from "./image.js";
import { ConfigResourceType, type ConfigRecord } from "./records.js";
import {
  AlterConfigOp,
  type AlterConfigsResource,
  type AlterConfigsResourceResponse,
  type ControllerResult,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from "./requests.js";

const listOf = (value: string | undefined): string[] =>
  value === undefined || value.trim() === "" ? [] : value.split(",").map((s) => s.trim());

function checkResource(image: MetadataImage, resource: AlterConfigsResource): void {
  if (resource.resourceType === ConfigResourceType.TOPIC) {
    if (!image.topics.byName.has(resource.resourceName)) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `The topic '${resource.resourceName}' does not exist.`,
      );
    }
    return;
  }
  if (resource.resourceType === ConfigResourceType.BROKER) {
    if (resource.resourceName !== "" && !/^\d+$/.test(resource.resourceName)) {
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `Invalid broker resource name '${resource.resourceName}': a broker id, or "" for every broker`,
      );
    }
    return;
  }
  throw new KafkaError(
    ErrorCode.INVALID_REQUEST,
    `Unsupported resource type ${resource.resourceType}: TOPIC (2) and BROKER (4) are supported`,
  );
}

/** The new value of one key after the operation, null = deleted. */
function newValue(
  resourceType: number,
  current: ConfigMap,
  name: string,
  op: number,
  value: string | null,
): string | null {
  const isList = resourceType !== ConfigResourceType.TOPIC || TOPIC_KEYS[name]?.type === ConfigType.LIST;
  switch (op) {
    case AlterConfigOp.SET:
      if (value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for: ${name}`);
      return value;
    case AlterConfigOp.DELETE:
      return null;
    case AlterConfigOp.APPEND:
    case AlterConfigOp.SUBTRACT: {
      if (!isList) {
        throw new KafkaError(
          ErrorCode.INVALID_CONFIG,
          `Config value append/subtract is not allowed for config key: ${name}`,
        );
      }
      const items = listOf(current.get(name));
      const given = listOf(value ?? undefined);
      const next =
        op === AlterConfigOp.APPEND
          ? [...items, ...given.filter((v) => !items.includes(v))]
          : items.filter((v) => !given.includes(v));
      return next.length === 0 ? null : next.join(",");
    }
    default:
      throw new KafkaError(
        ErrorCode.INVALID_REQUEST,
        `Unknown config operation ${op}: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT`,
      );
  }
}

function resourceRecords(image: MetadataImage, resource: AlterConfigsResource): ConfigRecord[] {
  checkResource(image, resource);
  const current = configsOf(image, resource.resourceType, resource.resourceName);
  const seen = new Set<string>();
  const records: ConfigRecord[] = [];
  for (const c of resource.configs) {
    if (seen.has(c.name))
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${c.name}`);
    seen.add(c.name);
    const value = newValue(resource.resourceType, current, c.name, c.configOperation, c.value);
    if (resource.resourceType === ConfigResourceType.TOPIC) {
      const error = validateTopicConfig(c.name, value);
      if (error !== null) throw new KafkaError(ErrorCode.INVALID_CONFIG, error);
    }
    if (value === null && !current.has(c.name)) continue;
    records.push({
      type: "Config",
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
      name: c.name,
      value,
    });
  }
  return records;
}

export function incrementalAlterConfigs(
  image: MetadataImage,
  req: IncrementalAlterConfigsRequest,
): ControllerResult<IncrementalAlterConfigsResponse> {
  const records: ConfigRecord[] = [];
  const responses: AlterConfigsResourceResponse[] = req.resources.map((resource) => {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
    try {
      const changes = resourceRecords(image, resource);
      if (!req.validateOnly) records.push(...changes);
      return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
    } catch (err) {
      if (!(err instanceof KafkaError)) throw err;
      return { ...base, errorCode: err.code, errorMessage: err.message };
    }
  });
  return { records, response: { responses } };
}
