// Idempotence (KIP-98): the producer id and epoch, from InitProducerId against any broker.
import { ApiKey, type InitProducerIdResponse } from "@gregor/protocol";
import type { Cluster } from "../cluster.js";
import { KafkaProtocolError } from "../errors.js";
import type { ResolvedProducerOptions } from "../producer-options.js";
import { backoffMs } from "./backoff.js";

/** Asks for a producer id, retrying retriable errors with backoff up to `retry.retries` times. */
export async function initProducerId(
  cluster: Cluster,
  retry: ResolvedProducerOptions["retry"],
): Promise<{ producerId: bigint; producerEpoch: number }> {
  for (let attempt = 0; ; attempt++) {
    const c = await cluster.anyBroker();
    const res = await c.request<InitProducerIdResponse>(ApiKey.InitProducerId, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    if (res.errorCode === 0) {
      cluster.log.debug({ producerId: String(res.producerId), epoch: res.producerEpoch }, "producer id");
      return { producerId: res.producerId, producerEpoch: res.producerEpoch };
    }
    const e = new KafkaProtocolError(res.errorCode, "InitProducerId");
    if (!e.retriable || attempt >= retry.retries) throw e;
    await new Promise((r) => setTimeout(r, backoffMs(attempt, retry.initialRetryTimeMs, retry.maxRetryTimeMs)));
  }
}
