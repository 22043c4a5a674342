// DescribeCluster (key 60), v0-1: the unfenced registered brokers and the active controller, from
// this broker's MetadataImage.
import { ApiKey, type DescribeClusterRequest, type DescribeClusterResponse } from "@gregor/protocol";
import { controllerIdForClients, liveEndpoints } from "../metadata/broker-endpoints.js";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

export const describeClusterHandler: Handler<DescribeClusterRequest, DescribeClusterResponse, BrokerServices> = {
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    const s = ctx.services;
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: req.endpointType ?? 1,
      clusterId: s.clusterId,
      controllerId: controllerIdForClients(s.topics.image, s.cluster.activeControllerId(), s.nodeId),
      brokers: liveEndpoints(s.topics.image, s.listenerName).map((e) => ({
        brokerId: e.nodeId,
        host: e.host,
        port: e.port,
        rack: e.rack,
      })),
      clusterAuthorizedOperations: -2147483648,
    };
  },
  errorResponse(_req, errorCode, ctx) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      clusterId: ctx.services.clusterId,
      controllerId: -1,
      brokers: [],
      clusterAuthorizedOperations: -2147483648,
    };
  },
};
