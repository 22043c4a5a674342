// The pieces every config key is built from: ConfigError and zod schemas that accept the strings
// of a properties file, an environment variable or a flag as well as JS values from code.
import { z } from "zod";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** `message` replaces the generic sentence where Kafka has its own wording for the check. */
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
    message?: string,
  ) {
    super(message ?? `Invalid value ${JSON.stringify(value)} for configuration ${key}: ${allowed}`);
  }
}

/** Java's Long.MAX_VALUE (2^63 - 1) as a double: 2^63, the nearest one. */
export const LONG_MAX = 2 ** 63;

function num(v: unknown): unknown {
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v.trim());
    return Number.isNaN(n) ? v : n;
  }
  return v;
}
function bool(v: unknown): unknown {
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "true") return true;
    if (s === "false") return false;
  }
  return v;
}
export const int = (min: number, max = 2147483647) => z.preprocess(num, z.number().int().min(min).max(max));
export const long = (min: number) =>
  z.preprocess(
    num,
    z
      .number()
      .min(min)
      .max(LONG_MAX)
      .refine((n) => Number.isInteger(n) || n >= Number.MAX_SAFE_INTEGER),
  );
export const fraction = () => z.preprocess(num, z.number().min(0).max(1));
export const boolean = () => z.preprocess(bool, z.boolean());
export const str = () =>
  z.preprocess((v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v), z.string());
/** A string a parser accepts (the parser returns null on a bad value). */
export const parsed = (parse: (s: string) => unknown) => str().refine((s) => parse(s) !== null);
export const oneOf = <T extends string>(...values: [T, ...T[]]) =>
  z.preprocess((v) => (typeof v === "string" ? v.trim() : v), z.enum(values));

export interface KeyDef<S extends z.ZodType = z.ZodType> {
  schema: S;
  default: unknown;
  allowed: string;
}
export const k = <S extends z.ZodType>(schema: S, dflt: unknown, allowed: string): KeyDef<S> => ({
  schema,
  default: dflt,
  allowed,
});
