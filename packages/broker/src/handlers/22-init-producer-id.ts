// InitProducerId (key 22), v0-5: allocates producer ids for idempotent producers. Transactional ids
// need the transaction coordinator, which does not exist yet: they are refused with
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED so clients fail fast instead of retrying forever.
import { ApiKey, type InitProducerIdRequest, type InitProducerIdResponse } from "@gregor/protocol";
import { ErrorCode } from "../errors.js";
import { ProducerIdsUnavailableError } from "../metadata/producer-id-blocks.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const initProducerIdHandler: Handler<InitProducerIdRequest, InitProducerIdResponse, BrokerServices> = {
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    if (req.transactionalId !== null && req.transactionalId !== "") {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        producerId: -1n,
        producerEpoch: -1,
      };
    }
    // Without a transactional id Kafka ignores the producerId/producerEpoch fields and always
    // allocates a fresh id at epoch 0: clients send their old id (librdkafka after a fatal
    // sequence error) or a constant (@platformatic/kafka sends 0/0 by default). Bumping the epoch of
    // the id a client names would hand two producers that both send 0/0 the same id and epoch,
    // and the second one's sequence 0 would be refused with OUT_OF_ORDER_SEQUENCE_NUMBER.
    // Ids come from this broker's block of the controller's (KIP-730); none available is retriable.
    try {
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        producerId: await ctx.services.producerIds.allocate(),
        producerEpoch: 0,
      };
    } catch (err) {
      if (!(err instanceof ProducerIdsUnavailableError)) throw err;
      ctx.services.logger.warn({ err }, "InitProducerId: no producer id block");
      return { throttleTimeMs: 0, errorCode: err.errorCode, producerId: -1n, producerEpoch: -1 };
    }
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
};
