// BrokerHeartbeat (key 63, KIP-631) on the CONTROLLER listener: renews the broker's session,
// unfences it once it has replayed the metadata log up to its registration, and drives controlled
// shutdown (wantShutDown -> leaderships move away -> shouldShutDown).
import { ApiKey, type BrokerHeartbeatRequest, type BrokerHeartbeatResponse } from "@gregor/protocol";
import { type ControllerServices, controllerWrite } from "../controller/driver/controller-services.js";
import type { Handler } from "./types.js";

export const brokerHeartbeatHandler: Handler<BrokerHeartbeatRequest, BrokerHeartbeatResponse, ControllerServices> = {
  apiKey: ApiKey.BrokerHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const { runtime } = ctx.services;
    const currentMetadataOffset = Number(req.currentMetadataOffset);
    const result = await controllerWrite(
      ctx.services,
      (controller, nowMs) =>
        controller.brokerHeartbeat(
          {
            brokerId: req.brokerId,
            brokerEpoch: Number(req.brokerEpoch),
            currentMetadataOffset,
            wantFence: req.wantFence,
            wantShutDown: req.wantShutDown,
          },
          nowMs,
        ),
      (errorCode) => ({ errorCode, isCaughtUp: false, isFenced: true, shouldShutDown: false }),
    );
    if (result.errorCode === 0) {
      runtime.brokerConnections.seen(req.brokerId, ctx.connectionId, ctx.signal);
      runtime.noteBrokerOffset(req.brokerId, currentMetadataOffset);
    }
    return { throttleTimeMs: 0, ...result };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, isCaughtUp: false, isFenced: true, shouldShutDown: false };
  },
};
