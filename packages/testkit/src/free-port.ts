import { createServer } from "node:net";

/**
 * A TCP port free on 127.0.0.1 right now (the OS picks it; the probe socket is closed before
 * returning). Another process may take it before the caller binds: prefer `port: 0` where the
 * code under test can report the port it bound, and use this where it must be known beforehand
 * (a cluster's peer list, a config file written before start).
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error(`no TCP port from listen(0) on ${host}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
