export {
  CompressionCodec,
  type CompressionName,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  isCompressionCodec,
  compressionName,
  compressionCodecByName,
  hasSyncPath,
  compressSync,
  decompressSync,
  compress,
  decompress,
} from "./codecs.js";
export { CompressionError } from "./errors.js";
export { isXerialFramed, snappyCompressXerial, snappyUncompressAny, XERIAL_MAGIC } from "./xerial.js";
