// The balance tests' topics with a manual replica assignment (CreateTopics' assignments), so each
// test knows which broker is the preferred replica and which replicas move.
import type { Connection } from "@gregor/client";
import { ApiKey, type CreateTopicsResponse } from "@gregor/protocol";

/** Creates `name` with partition i on `replicas[i]` through `conn`'s broker; its error code (0 = created). */
export async function createAssignedTopic(
  conn: Connection,
  name: string,
  replicas: readonly (readonly number[])[],
): Promise<number> {
  const res = await conn.request<CreateTopicsResponse>(ApiKey.CreateTopics, {
    topics: [
      {
        name,
        numPartitions: -1,
        replicationFactor: -1,
        assignments: replicas.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds: [...brokerIds] })),
        configs: [],
      },
    ],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  return res.topics[0]?.errorCode ?? -1;
}
