export { type ErrorCodeInfo, ERROR_CODES, errorByCode, errorByName, errorInfo, isRetriable } from "./error-codes.js";
export { ErrorCode, type ErrorCodeName } from "./names.js";
export { KafkaError, throwIfError } from "./kafka-error.js";
