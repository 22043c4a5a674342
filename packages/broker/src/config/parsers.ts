// Parsers for the list-valued keys (listeners, controller.quorum.voters, process.roles, ...). Each
// returns null on a bad value so a zod refine can use it; the messages live with the key.

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export interface QuorumVoter {
  id: number;
  host: string;
  port: number;
}

export interface HostPort {
  host: string;
  port: number;
}

export type ProcessRole = "broker" | "controller";

/** Kafka's security protocols (listener.security.protocol.map values). */
export const SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

function items(s: string): string[] {
  return s
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/** `host:port`, `[v6]:port` or `:port` (every interface). */
function hostPort(s: string): HostPort | null {
  const m = /^(\[[^\]]*\]|[^:@/[\]]*):(\d{1,5})$/.exec(s);
  if (m === null) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

/** `NAME://host:port,...` -> listeners (names upper-cased as Kafka does); null if any entry is bad. */
export function parseListeners(s: string): Listener[] | null {
  const out: Listener[] = [];
  for (const part of items(s)) {
    const m = /^([A-Za-z0-9_]+):\/\/(.*)$/.exec(part);
    const address = m === null ? null : hostPort(m[2]!);
    if (m === null || address === null) return null;
    const name = m[1]!.toUpperCase();
    if (out.some((l) => l.name === name)) return null;
    out.push({ name, ...address });
  }
  return out.length > 0 ? out : null;
}

/** `controller.quorum.voters`: `{id}@{host}:{port},...` with distinct ids; "" is an empty list. */
export function parseVoters(s: string): QuorumVoter[] | null {
  const out: QuorumVoter[] = [];
  for (const part of items(s)) {
    const at = part.indexOf("@");
    if (at <= 0 || !/^\d+$/.test(part.slice(0, at))) return null;
    const id = Number(part.slice(0, at));
    const address = hostPort(part.slice(at + 1));
    if (address === null || address.host === "" || id > 2147483647 || out.some((v) => v.id === id)) return null;
    out.push({ id, ...address });
  }
  return out;
}

/** `controller.quorum.bootstrap.servers`: `host:port,...`; "" is an empty list. */
export function parseHostPorts(s: string): HostPort[] | null {
  const out: HostPort[] = [];
  for (const part of items(s)) {
    const address = hostPort(part);
    if (address === null || address.host === "") return null;
    out.push(address);
  }
  return out;
}

/** `process.roles`: broker, controller or both, each once. */
export function parseRoles(s: string): ProcessRole[] | null {
  const roles = items(s);
  if (roles.length === 0 || new Set(roles).size !== roles.length) return null;
  return roles.every((r) => r === "broker" || r === "controller") ? (roles as ProcessRole[]) : null;
}

/** A list of listener names (`controller.listener.names`), upper-cased. */
export function parseNames(s: string): string[] | null {
  const names = items(s);
  return names.every((n) => /^[A-Za-z0-9_]+$/.test(n)) ? names.map((n) => n.toUpperCase()) : null;
}

/** `listener.security.protocol.map`: `NAME:PROTOCOL,...`. */
export function parseSecurityProtocolMap(s: string): Map<string, SecurityProtocol> | null {
  const out = new Map<string, SecurityProtocol>();
  for (const part of items(s)) {
    const m = /^([A-Za-z0-9_]+):([A-Za-z_]+)$/.exec(part);
    if (m === null) return null;
    const protocol = m[2]!.toUpperCase() as SecurityProtocol;
    if (!SECURITY_PROTOCOLS.includes(protocol)) return null;
    out.set(m[1]!.toUpperCase(), protocol);
  }
  return out;
}
