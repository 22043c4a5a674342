// Broker registration, heartbeats, fencing and controlled shutdown (Kafka's ClusterControlManager
// and BrokerHeartbeatManager.calculateNextBrokerState, KIP-631). A broker registers fenced; it is
// unfenced once it asks and has replayed the log up to its own registration (so it never leads
// with metadata older than its registration); it is fenced when it asks, when its session expires,
// or when a new incarnation replaces it.
import { ErrorCode } from "@gregor/protocol";
import type { BrokerHeartbeatManager } from "./broker-heartbeat-manager.js";
import type { BrokerRegistration, MetadataImage } from "./image.js";
import type { MetadataRecord } from "./records.js";
import { electForUnfenced, leaderCount, removeFromIsrs } from "./replication-control.js";
import type {
  BrokerHeartbeatRequest,
  BrokerHeartbeatResponse,
  BrokerRegistrationRequest,
  BrokerRegistrationResponse,
  ControllerResult,
} from "./requests.js";
import { applyBatch } from "./delta.js";

export function registerBroker(
  image: MetadataImage,
  sessions: BrokerHeartbeatManager,
  clusterId: string,
  req: BrokerRegistrationRequest,
  nowMs: number,
): ControllerResult<BrokerRegistrationResponse> {
  const fail = (errorCode: number, errorMessage: string): ControllerResult<BrokerRegistrationResponse> => ({
    records: [],
    response: { errorCode, errorMessage, brokerEpoch: -1 },
  });
  if (req.clusterId !== clusterId) {
    return fail(
      ErrorCode.INCONSISTENT_CLUSTER_ID,
      `Expected cluster ID ${clusterId}, but got cluster ID ${req.clusterId}`,
    );
  }
  if (!Number.isSafeInteger(req.brokerId) || req.brokerId < 0) {
    return fail(ErrorCode.INVALID_REQUEST, `Invalid broker id ${req.brokerId}: must be a non-negative integer`);
  }
  const unsupported = unsupportedFeature(image, req);
  if (unsupported !== null) return fail(ErrorCode.UNSUPPORTED_VERSION, unsupported);
  const existing = image.brokers.get(req.brokerId);
  const sameIncarnation = existing?.incarnationId === req.incarnationId;
  // A fenced registration has no live session (Kafka's BrokerHeartbeatManager): a restart may replace it.
  if (existing && !sameIncarnation && !existing.fenced && sessions.hasValidSession(req.brokerId, nowMs)) {
    return fail(
      ErrorCode.DUPLICATE_BROKER_REGISTRATION,
      `Another broker is registered with that broker id (${req.brokerId}) and its session has not expired.`,
    );
  }
  sessions.touch(req.brokerId, nowMs);
  // The same incarnation again (a retry whose answer was lost): the registration is amended and
  // keeps its epoch and fencing state. A new incarnation gets a new epoch and starts fenced.
  const record: MetadataRecord = {
    type: "RegisterBroker",
    brokerId: req.brokerId,
    incarnationId: req.incarnationId,
    brokerEpoch: sameIncarnation && existing ? existing.brokerEpoch : -1,
    endPoints: req.listeners.map((e) => ({ ...e })),
    features: req.features.map((f) => ({ ...f })),
    rack: req.rack,
    fenced: sameIncarnation && existing ? existing.fenced : true,
    inControlledShutdown: sameIncarnation && existing ? existing.inControlledShutdown : false,
    logDirs: [...(req.logDirs ?? [])],
  };
  // A replaced incarnation that was still unfenced leaves its ISRs and leaderships now.
  const fencing = existing && !sameIncarnation ? removeFromIsrs(image, req.brokerId, { fenced: true }) : [];
  return {
    records: [record, ...fencing],
    response: { errorCode: ErrorCode.NONE, errorMessage: null, brokerEpoch: record.brokerEpoch },
  };
}

/**
 * A finalized feature level (e.g. metadata.version) outside the range the broker declares for it
 * (KIP-584). A feature the broker does not list is not checked.
 */
function unsupportedFeature(image: MetadataImage, req: BrokerRegistrationRequest): string | null {
  for (const f of req.features) {
    const level = image.features.get(f.name);
    if (level === undefined || (level >= f.minSupportedVersion && level <= f.maxSupportedVersion)) continue;
    return `Unable to register because the broker does not support finalized version ${level} of ${f.name}. The broker wants a version between ${f.minSupportedVersion} and ${f.maxSupportedVersion}, inclusive.`;
  }
  return null;
}

/** The records that fence `broker` (a state change plus its partitions' ISR and leader changes). */
export function fenceRecords(image: MetadataImage, broker: BrokerRegistration): MetadataRecord[] {
  if (broker.fenced) return [];
  return [
    { type: "BrokerRegistrationChange", brokerId: broker.brokerId, brokerEpoch: broker.brokerEpoch, fenced: true },
    ...removeFromIsrs(image, broker.brokerId, { fenced: true }),
  ];
}

function unfenceRecords(image: MetadataImage, broker: BrokerRegistration): MetadataRecord[] {
  const change: MetadataRecord = {
    type: "BrokerRegistrationChange",
    brokerId: broker.brokerId,
    brokerEpoch: broker.brokerEpoch,
    fenced: false,
  };
  // A broker fenced while shutting down that comes back without asking to stop is a working broker.
  if (broker.inControlledShutdown) change.inControlledShutdown = false;
  return [change, ...electForUnfenced(image, broker.brokerId)];
}

function controlledShutdownRecords(image: MetadataImage, broker: BrokerRegistration): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  if (!broker.inControlledShutdown) {
    records.push({
      type: "BrokerRegistrationChange",
      brokerId: broker.brokerId,
      brokerEpoch: broker.brokerEpoch,
      inControlledShutdown: true,
    });
  }
  // Repeated on every heartbeat while shutting down, so nothing it still leads or follows is missed.
  records.push(...removeFromIsrs(image, broker.brokerId, { inControlledShutdown: true }));
  return records;
}

export function brokerHeartbeat(
  image: MetadataImage,
  sessions: BrokerHeartbeatManager,
  req: BrokerHeartbeatRequest,
  nowMs: number,
): ControllerResult<BrokerHeartbeatResponse> {
  const broker = image.brokers.get(req.brokerId);
  const answer = (errorCode: number, isFenced: boolean, shouldShutDown: boolean, isCaughtUp = false) => ({
    errorCode,
    isCaughtUp,
    isFenced,
    shouldShutDown,
  });
  if (broker === undefined) {
    return { records: [], response: answer(ErrorCode.BROKER_ID_NOT_REGISTERED, true, false) };
  }
  if (broker.brokerEpoch !== req.brokerEpoch) {
    return { records: [], response: answer(ErrorCode.STALE_BROKER_EPOCH, true, false) };
  }
  sessions.touch(req.brokerId, nowMs);
  const isCaughtUp = req.currentMetadataOffset >= broker.brokerEpoch;
  let records: MetadataRecord[] = [];
  if (broker.fenced) {
    // A fenced broker leads nothing: it may stop at once.
    if (req.wantShutDown) return { records, response: answer(ErrorCode.NONE, true, true, isCaughtUp) };
    if (!req.wantFence && isCaughtUp) records = unfenceRecords(image, broker);
  } else if (req.wantFence) {
    records = fenceRecords(image, broker);
  } else if (req.wantShutDown || broker.inControlledShutdown) {
    records = controlledShutdownRecords(image, broker);
  }
  // The answer goes out once the records are applied, so it describes the state after them.
  const after = records.length > 0 ? applyBatch(image, records, image.offset + 1) : image;
  const state = after.brokers.get(req.brokerId) as BrokerRegistration;
  const shouldShutDown = state.fenced || (state.inControlledShutdown && leaderCount(after, req.brokerId) === 0);
  return {
    records,
    response: answer(ErrorCode.NONE, state.fenced, req.wantShutDown && shouldShutDown, isCaughtUp),
  };
}
