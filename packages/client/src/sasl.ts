// SASL authentication at connect time: SaslHandshake then SaslAuthenticate frames (KIP-152).
// PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802 / RFC 7677, KIP-84) are implemented.
import { ApiKey, type SaslAuthenticateResponse, type SaslHandshakeResponse } from "@gregor/protocol";
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { GregorClientError, KafkaProtocolError } from "./errors.js";

export type SaslMechanism = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";

export interface SaslOptions {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/** The subset of Connection that authentication needs (avoids an import cycle). */
export interface SaslTransport {
  request<T>(apiKey: number, body: unknown, options?: { apiVersion?: number }): Promise<T>;
  version(apiKey: number): number;
}

export async function authenticate(c: SaslTransport, o: SaslOptions): Promise<void> {
  const hs = await c.request<SaslHandshakeResponse>(
    ApiKey.SaslHandshake,
    { mechanism: o.mechanism },
    { apiVersion: Math.max(1, c.version(ApiKey.SaslHandshake)) },
  );
  if (hs.errorCode !== 0)
    throw new KafkaProtocolError(
      hs.errorCode,
      `SASL mechanism ${o.mechanism}; broker offers ${hs.mechanisms.join(", ")}`,
    );
  const step = async (bytes: Buffer): Promise<Buffer> => {
    const res = await c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, { authBytes: bytes });
    if (res.errorCode !== 0) throw new KafkaProtocolError(res.errorCode, res.errorMessage);
    return res.authBytes;
  };
  if (o.mechanism === "PLAIN") {
    await step(Buffer.from(`\0${o.username}\0${o.password}`, "utf8"));
    return;
  }
  await scram(o, step);
}

function saslName(s: string): string {
  return s.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

async function scram(o: SaslOptions, step: (b: Buffer) => Promise<Buffer>): Promise<void> {
  const hash = o.mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512";
  const keyLen = hash === "sha256" ? 32 : 64;
  const nonce = randomBytes(24).toString("base64");
  const firstBare = `n=${saslName(o.username)},r=${nonce}`;
  const serverFirst = (await step(Buffer.from(`n,,${firstBare}`))).toString("utf8");
  const attrs = new Map(serverFirst.split(",").map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
  const r = attrs.get("r");
  const s = attrs.get("s");
  const i = Number(attrs.get("i"));
  if (!r || !s || !r.startsWith(nonce) || !Number.isInteger(i) || i < 1)
    throw new GregorClientError(`SCRAM: bad server-first-message`);
  const salted = pbkdf2Sync(o.password, Buffer.from(s, "base64"), i, keyLen, hash);
  const clientKey = createHmac(hash, salted).update("Client Key").digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const finalNoProof = `c=${Buffer.from("n,,").toString("base64")},r=${r}`;
  const authMessage = `${firstBare},${serverFirst},${finalNoProof}`;
  const signature = createHmac(hash, storedKey).update(authMessage).digest();
  const proof = Buffer.alloc(keyLen);
  for (let k = 0; k < keyLen; k++) proof[k] = clientKey[k]! ^ signature[k]!;
  const serverFinal = (await step(Buffer.from(`${finalNoProof},p=${proof.toString("base64")}`))).toString("utf8");
  const serverKey = createHmac(hash, salted).update("Server Key").digest();
  const expected = createHmac(hash, serverKey).update(authMessage).digest();
  const v = serverFinal.startsWith("v=") ? Buffer.from(serverFinal.slice(2), "base64") : Buffer.alloc(0);
  if (v.length !== expected.length || !timingSafeEqual(v, expected))
    throw new GregorClientError("SCRAM: server signature does not verify");
}
