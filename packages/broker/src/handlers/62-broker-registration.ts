// BrokerRegistration (key 62, KIP-631) on the CONTROLLER listener: the active controller validates
// the registration and commits a RegisterBroker record; the broker's epoch is the offset (raft
// index) of that record's entry. Not served on the broker listener.
import { ApiKey, type BrokerRegistrationRequest, type BrokerRegistrationResponse } from "@gregor/protocol";
import { type ControllerServices, controllerWrite } from "../controller/driver/controller-services.js";
import type { Handler } from "./types.js";

export const brokerRegistrationHandler: Handler<
  BrokerRegistrationRequest,
  BrokerRegistrationResponse,
  ControllerServices
> = {
  apiKey: ApiKey.BrokerRegistration,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const { runtime } = ctx.services;
    const result = await controllerWrite(
      ctx.services,
      (controller, nowMs) =>
        controller.registerBroker(
          {
            brokerId: req.brokerId,
            clusterId: req.clusterId,
            incarnationId: req.incarnationId,
            listeners: req.listeners,
            features: req.features,
            rack: req.rack,
            logDirs: req.logDirs ?? [],
            previousBrokerEpoch: Number(req.previousBrokerEpoch ?? -1n),
          },
          nowMs,
        ),
      (errorCode, errorMessage) => ({ errorCode, errorMessage, brokerEpoch: -1 }),
      // A new registration's epoch is the index of the entry that carried it.
      (response, index) =>
        response.errorCode === 0 && response.brokerEpoch < 0 ? { ...response, brokerEpoch: index } : response,
    );
    if (result.errorCode === 0) runtime.brokerConnections.seen(req.brokerId, ctx.connectionId, ctx.signal);
    return { throttleTimeMs: 0, errorCode: result.errorCode, brokerEpoch: BigInt(result.brokerEpoch) };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, brokerEpoch: -1n };
  },
};
