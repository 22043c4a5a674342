// InitProducerId (key 22), v0-5: allocates producer ids for idempotent producers. Transactional ids
// need the transaction coordinator, which does not exist yet: they are refused with
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED so clients fail fast instead of retrying forever.
import type { InitProducerIdRequest, InitProducerIdResponse } from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const initProducerIdHandler: Handler<InitProducerIdRequest, InitProducerIdResponse, BrokerServices> = {
  apiKey: 22,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    if (req.transactionalId !== null && req.transactionalId !== "") {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    // An idempotent producer re-initialising with its id (KIP-360) gets the next epoch of that id.
    const pid = req.producerId ?? -1n;
    const epoch = req.producerEpoch ?? -1;
    if (pid >= 0n && epoch >= 0 && epoch < 32767) return { throttleTimeMs: 0, errorCode: 0, producerId: pid, producerEpoch: epoch + 1 };
    return { throttleTimeMs: 0, errorCode: 0, producerId: ctx.services.producerIds.allocate(), producerEpoch: 0 };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
};
