// AllocateProducerIds (key 67, KIP-730) on the CONTROLLER listener: the active controller hands a
// broker the next block of producer ids and commits the new high water (a ProducerIds record).
import { ApiKey, type AllocateProducerIdsRequest, type AllocateProducerIdsResponse } from "@gregor/protocol";
import { type ControllerServices, controllerWrite } from "../controller/driver/controller-services.js";
import type { Handler } from "./types.js";

export const allocateProducerIdsHandler: Handler<
  AllocateProducerIdsRequest,
  AllocateProducerIdsResponse,
  ControllerServices
> = {
  apiKey: ApiKey.AllocateProducerIds,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const result = await controllerWrite(
      ctx.services,
      (controller, nowMs) =>
        controller.allocateProducerIds({ brokerId: req.brokerId, brokerEpoch: Number(req.brokerEpoch) }, nowMs),
      (errorCode) => ({ errorCode, producerIdStart: -1, producerIdLen: 0 }),
    );
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      producerIdStart: BigInt(result.producerIdStart),
      producerIdLen: result.producerIdLen,
    };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerIdStart: -1n, producerIdLen: 0 };
  },
};
