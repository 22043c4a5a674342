import { API_CODECS, type ApiCodec } from "../generated/api-codecs.js";
import { ApiKey } from "../generated/api-keys.js";

const byKey: (ApiCodec | undefined)[] = [];
for (const c of API_CODECS) byKey[c.apiKey] = c;

/** The generated codec for an API key, or undefined when Kafka defines no such key here. */
export function apiCodec(apiKey: number): ApiCodec | undefined {
  return byKey[apiKey];
}

/**
 * ControlledShutdown (ZooKeeper-era broker-to-controller API) is gone from Kafka 4's specs, so it has
 * no `ApiKey` entry; its key is kept only for the header version rule below.
 */
const CONTROLLED_SHUTDOWN_API_KEY = 7;

export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const c = byKey[apiKey];
  return c !== undefined && c.flexibleMinVersion >= 0 && apiVersion >= c.flexibleMinVersion;
}

/** Request header version: v2 (tagged fields) for flexible API versions, else v1. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  // ControlledShutdown v0 used header v0; no client here sends it.
  if (apiKey === CONTROLLED_SHUTDOWN_API_KEY && apiVersion === 0) return 0;
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

/**
 * Response header version: v1 for flexible versions, else v0. ApiVersions always answers with v0 so a
 * client that does not yet know the broker's versions can parse the reply (KIP-511).
 */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}
