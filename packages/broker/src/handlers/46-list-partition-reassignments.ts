// ListPartitionReassignments (key 46, KIP-455), v0: the reassignments in progress — every one when
// topics is null, else those of the partitions named (unknown ones are left out, as in Kafka).
// Answered from this broker's image, which holds each partition's adding and removing replicas.
import {
  ApiKey,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
} from "@gregor/protocol";
import { listPartitionReassignments } from "../controller/reassignment.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const listPartitionReassignmentsHandler: Handler<
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
  BrokerServices
> = {
  apiKey: ApiKey.ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    const topics = listPartitionReassignments(ctx.services.topics.image, req.topics);
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, topics: [] };
  },
};
