// FindCoordinator (key 10), v0-5. v4+ carries a batch of CoordinatorKeys (KIP-699). Group keys map
// to the leader of __consumer_offsets partition abs(hashCode(key)) % partitions, as this broker's
// MetadataImage has it (COORDINATOR_NOT_AVAILABLE while the partition has no live leader). Transaction keys (type 1) are answered by this broker too once a transaction
// coordinator module is present; otherwise TRANSACTIONAL_ID_AUTHORIZATION_FAILED with a message
// saying transactions are unsupported: a non-retriable error, so a transactional producer
// (librdkafka, kafkajs, kafka-python) fails at once with that message instead of retrying a
// retriable COORDINATOR_NOT_AVAILABLE until its own timeout.
import {
  ApiKey,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type FindCoordinatorResponseCoordinator,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import { CONSUMER_OFFSETS } from "../group/driver/coordinator.js";
import { coordinator } from "../group/driver/handler-support.js";
import { endpointOf } from "../metadata/broker-endpoints.js";
import type { BrokerServices } from "../services.js";
import type { Handler, RequestContext } from "./types.js";

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;
const TRANSACTION_COORDINATOR_MODULE = "transaction-coordinator";

async function findOne(
  key: string,
  keyType: number,
  ctx: RequestContext<BrokerServices>,
): Promise<FindCoordinatorResponseCoordinator> {
  const e = ctx.services.endpoint;
  const ok = { key, nodeId: e.nodeId, host: e.host, port: e.port, errorCode: ErrorCode.NONE, errorMessage: null };
  const fail = (errorCode: number, errorMessage: string | null) => ({
    key,
    nodeId: -1,
    host: "",
    port: -1,
    errorCode,
    errorMessage,
  });
  if (keyType === GROUP_KEY) {
    if (key.length === 0) return fail(ErrorCode.INVALID_REQUEST, "empty group id");
    const c = coordinator(ctx);
    const notAvailable = fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, "The coordinator is not available.");
    if (!(await c.ensureReady())) return notAvailable;
    const s = ctx.services;
    const p = s.topics.partition(CONSUMER_OFFSETS, c.partitionFor(key));
    const leader = p === undefined || p.leader < 0 ? undefined : s.topics.image.brokers.get(p.leader);
    const endpoint = leader === undefined || leader.fenced ? null : endpointOf(leader, s.listenerName);
    if (endpoint === null) return notAvailable;
    return { ...ok, nodeId: endpoint.nodeId, host: endpoint.host, port: endpoint.port };
  }
  if (keyType === TRANSACTION_KEY) {
    if (ctx.services.hasModule(TRANSACTION_COORDINATOR_MODULE)) return ok;
    return fail(
      ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      `Transactions are not supported by this broker (transactional.id "${key}"): use an idempotent producer without a transactional.id.`,
    );
  }
  return fail(ErrorCode.INVALID_REQUEST, `Invalid coordinator type: ${keyType}`);
}

export const findCoordinatorHandler: Handler<FindCoordinatorRequest, FindCoordinatorResponse, BrokerServices> = {
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const keyType = ctx.apiVersion >= 1 ? (req.keyType ?? 0) : 0;
    if (ctx.apiVersion >= 4) {
      const coordinators = await Promise.all((req.coordinatorKeys ?? []).map((k) => findOne(k, keyType, ctx)));
      return { throttleTimeMs: 0, coordinators };
    }
    const c = await findOne(req.key ?? "", keyType, ctx);
    return {
      throttleTimeMs: 0,
      errorCode: c.errorCode,
      errorMessage: c.errorMessage,
      nodeId: c.nodeId,
      host: c.host,
      port: c.port,
    };
  },
  errorResponse(req, errorCode, ctx) {
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        coordinators: (req.coordinatorKeys ?? []).map((key) => ({
          key,
          nodeId: -1,
          host: "",
          port: -1,
          errorCode,
          errorMessage: null,
        })),
      };
    }
    return { throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: -1, host: "", port: -1 };
  },
};
