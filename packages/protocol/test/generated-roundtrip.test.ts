// Every generated message, every version: a sample built from the spec's facts encodes, decodes to
// the same value, and re-encodes to identical bytes. Fields absent in a version are left out.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as gen from "../src/generated/index.js";
import { Reader, Writer, ProtocolDecodeError } from "../src/index.js";

interface Field {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  flexibleVersions?: string;
  fields?: Field[];
}
interface Spec {
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: Field[];
  commonStructs?: { name: string; fields: Field[] }[];
}

const specDir = join(import.meta.dirname, "../specs");
const specs: Spec[] = readdirSync(specDir).map((f) => JSON.parse(readFileSync(join(specDir, f), "utf8")));
const range = (s: string | undefined): [number, number] | null => {
  if (!s || s === "none") return null;
  if (s.endsWith("+")) return [Number(s.slice(0, -1)), 0x7fff];
  const [a, b] = s.includes("-") ? s.split("-").map(Number) : [Number(s), Number(s)];
  return [a!, b!];
};
const inRange = (s: string | undefined, v: number) => {
  const r = range(s);
  return r !== null && v >= r[0] && v <= r[1];
};
const camel = (s: string) => s[0]!.toLowerCase() + s.slice(1);

let seed = 1;
function sample(spec: Spec, fields: Field[], v: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!inRange(f.versions, v)) continue;
    out[camel(f.name)] = value(spec, f, v);
  }
  return out;
}
function prim(type: string): unknown {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  switch (type) {
    case "bool":
      return seed % 2 === 0;
    case "int8":
      return (seed % 200) - 100;
    case "int16":
      return (seed % 60000) - 30000;
    case "uint16":
      return seed % 65536;
    case "int32":
      return seed - 1_000_000_000;
    case "uint32":
      return seed * 2;
    case "int64":
      return BigInt(seed) * 4_000_000_000n - 1n;
    case "float64":
      return seed / 7;
    case "string":
      return `s${seed}-é`;
    case "uuid":
      return "0123abcd-0000-4000-8000-" + seed.toString(16).padStart(12, "0");
    case "bytes":
      return Buffer.from([seed & 255, 1, 2]);
    case "records":
      return Buffer.from([9, 8, 7, seed & 255]);
  }
  return undefined;
}
function value(spec: Spec, f: Field, v: number): unknown {
  if (f.nullableVersions && inRange(f.nullableVersions, v) && seed % 5 === 0) {
    prim("int8");
    // a tagged struct that is null is simply absent
    if (f.taggedVersions && !f.type.startsWith("[]")) return undefined;
    return null;
  }
  const base = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
  const sub = f.fields ?? spec.commonStructs?.find((c) => c.name === base)?.fields;
  const one = () => (sub ? sample(spec, sub, v) : prim(base));
  return f.type.startsWith("[]") ? [one(), one()] : one();
}

const strip = (o: unknown): unknown =>
  JSON.parse(JSON.stringify(o, (_k, x) => (typeof x === "bigint" ? `${x}n` : x?.type === "Buffer" ? x : x)));

describe("generated codecs round-trip every version", () => {
  for (const spec of specs) {
    const enc = (gen as Record<string, unknown>)[`encode${spec.name}`] as (w: Writer, v: number, m: unknown) => void;
    const dec = (gen as Record<string, unknown>)[`decode${spec.name}`] as (r: Reader, v: number) => unknown;
    const [lo, hi] = range(spec.validVersions)!;
    it(`${spec.name} v${lo}-${hi}`, () => {
      for (let v = lo; v <= hi; v++) {
        const msg = sample(spec, spec.fields, v);
        const w = new Writer();
        enc(w, v, msg);
        const bytes = w.toBuffer();
        const r = new Reader(bytes);
        const back = dec(r, v) as Record<string, unknown>;
        expect(r.remaining, `${spec.name} v${v} leftover`).toBe(0);
        const w2 = new Writer();
        enc(w2, v, back);
        expect(w2.toBuffer().equals(bytes), `${spec.name} v${v} re-encode`).toBe(true);
        expect(strip(back), `${spec.name} v${v}`).toMatchObject(strip(msg) as object);
      }
    });
  }
});

describe("decoders on hostile bytes", () => {
  const apis = gen.API_CODECS;
  it("random and truncated input only ever throws ProtocolDecodeError", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: apis.length - 1 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.boolean(),
        (i, bytes, isReq) => {
          const c = apis[i]!;
          const v = c.minVersion + (bytes.length % (c.maxVersion - c.minVersion + 1));
          try {
            const r = new Reader(Buffer.from(bytes));
            if (isReq) c.decodeRequest(r, v);
            else c.decodeResponse(r, v);
          } catch (err) {
            if (!(err instanceof ProtocolDecodeError)) throw err;
          }
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it("a valid message cut short at every byte fails with a named field", () => {
    const w = new Writer();
    gen.encodeMetadataResponse(w, 12, {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: "localhost", port: 9092, rack: null }],
      clusterId: "c",
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: "t",
          topicId: "00000000-0000-0000-0000-000000000001",
          isInternal: false,
          partitions: [],
          topicAuthorizedOperations: 0,
        },
      ],
    });
    const full = w.toBuffer();
    for (let n = 0; n < full.length; n++) {
      expect(() => gen.decodeMetadataResponse(new Reader(full.subarray(0, n)), 12)).toThrow(ProtocolDecodeError);
    }
  });
});
