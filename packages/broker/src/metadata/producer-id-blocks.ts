// Producer ids for idempotent producers come in blocks from the active controller
// (AllocateProducerIds, KIP-730): every broker hands out ids from its own block, the controller
// commits each block's high water to the metadata log, so no id is handed out twice across the
// cluster or across restarts. The next block is fetched when the current one is 90% used, so
// InitProducerId rarely waits for the controller (Kafka's RPCProducerIdManager does the same).
import type { AllocateProducerIdsResponse } from "@gregor/protocol";
import type { ClusterNode } from "../cluster/cluster-node-types.js";
import { ErrorCode } from "../errors.js";

const ALLOCATE_PRODUCER_IDS = 67;
const PREFETCH_AT = 0.9;

interface Block {
  next: bigint;
  end: bigint;
  size: number;
}

/** Thrown when no block could be had; InitProducerId answers it with a retriable error. */
export class ProducerIdsUnavailableError extends Error {
  override readonly name = "ProducerIdsUnavailableError";
  readonly errorCode = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
}

export class ProducerIdBlocks {
  private current: Block | null = null;
  private nextBlock: Block | null = null;
  private fetching: Promise<Block> | null = null;

  constructor(
    private readonly cluster: ClusterNode,
    private readonly brokerId: number,
  ) {}

  async allocate(): Promise<bigint> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const block = this.current;
      if (block !== null && block.next < block.end) {
        const id = block.next++;
        if (Number(block.end - block.next) < block.size * (1 - PREFETCH_AT)) this.prefetch();
        return id;
      }
      this.current = this.nextBlock ?? (await this.fetch());
      this.nextBlock = null;
    }
    throw new ProducerIdsUnavailableError("the controller handed out an empty producer id block");
  }

  private prefetch(): void {
    if (this.nextBlock !== null || this.fetching !== null) return;
    this.fetch().then(
      (b) => {
        this.nextBlock = b;
      },
      () => {}, // the next allocate() asks again
    );
  }

  private fetch(): Promise<Block> {
    this.fetching ??= this.request().finally(() => {
      this.fetching = null;
    });
    return this.fetching;
  }

  private async request(): Promise<Block> {
    const brokerEpoch = this.cluster.lifecycle?.brokerEpoch ?? -1n;
    let res: AllocateProducerIdsResponse;
    try {
      res = await this.cluster.sendToController<AllocateProducerIdsResponse>(ALLOCATE_PRODUCER_IDS, {
        brokerId: this.brokerId,
        brokerEpoch,
      });
    } catch (err) {
      throw new ProducerIdsUnavailableError(`no producer id block from the controller: ${String(err)}`);
    }
    if (res.errorCode !== ErrorCode.NONE)
      throw new ProducerIdsUnavailableError(`the controller refused a producer id block (error ${res.errorCode})`);
    const start = BigInt(res.producerIdStart);
    return { next: start, end: start + BigInt(res.producerIdLen), size: res.producerIdLen };
  }
}
