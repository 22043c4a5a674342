// Every directory the node writes (metadata.log.dir and each of log.dirs) is locked before anything
// reads or formats it, for the whole life of the broker: Kafka's LogManager takes `.lock` in each
// log dir (and the metadata dir) at start-up and a second broker on the same dirs fails there.
import { acquireDirLock, DataDirLockedError, type DirLock } from "@gregor/storage";
import type { BrokerConfig } from "../config/broker-config.js";
import { StorageError, storageDirs } from "../metadata/meta-properties.js";

export interface DataDirLocks {
  readonly dirs: readonly string[];
  release(): Promise<void>;
}

/** Locks each storage dir of `config`; throws StorageError (one line naming dir and pid) if one is held. */
export async function lockDataDirs(config: BrokerConfig): Promise<DataDirLocks> {
  const dirs = storageDirs(config);
  const locks: DirLock[] = [];
  const release = async (): Promise<void> => {
    for (const lock of locks.splice(0).reverse()) await lock.release();
  };
  try {
    for (const dir of dirs) locks.push(await acquireDirLock(dir));
  } catch (err) {
    await release();
    // Start-up prints a StorageError as its one-line reason, like a format mismatch.
    throw err instanceof DataDirLockedError ? new StorageError(err.message) : err;
  }
  return { dirs, release };
}
