// ApiVersions (key 18): built from the handler table. Too-new versions are answered by the
// connection layer (error 35 in a v0 body, KIP-511) before this handler is reached.
import {
  ApiKey,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  type ApiVersionsResponseApiVersion,
} from "@gregor/protocol";
import type { BrokerServices } from "../services.js";
import type { Handler } from "./types.js";

const cache = new WeakMap<readonly Handler[], ApiVersionsResponseApiVersion[]>();

export function apiVersionsList(handlers: readonly Handler[]): ApiVersionsResponseApiVersion[] {
  let list = cache.get(handlers);
  if (list === undefined) {
    list = handlers
      .map((h) => ({
        apiKey: h.apiKey,
        minVersion: h.advertise?.minVersion ?? h.minVersion,
        maxVersion: h.advertise?.maxVersion ?? h.maxVersion,
      }))
      .sort((a, b) => a.apiKey - b.apiKey);
    cache.set(handlers, list);
  }
  return list;
}

export const apiVersionsHandler: Handler<ApiVersionsRequest, ApiVersionsResponse, BrokerServices> = {
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 3,
  handle(_req, ctx) {
    return {
      errorCode: 0,
      apiKeys: apiVersionsList(ctx.services.handlers),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, apiKeys: [] };
  },
};
