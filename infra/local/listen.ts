import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Loopback only: nothing local is ever reachable from another machine. */
export const LOCAL_HOST = '127.0.0.1';

/** Listens on 127.0.0.1 (port 0 picks a free one) and returns the bound port. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} on ${LOCAL_HOST} is in use; set PARLEY_LOCAL_PORT to another base port`, {
              cause: error,
            })
          : error,
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, LOCAL_HOST);
  });
}

/** Closes a server, dropping keep-alive and upgraded sockets so close does not hang. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

/** Credentials for the stand-ins: they accept any; real AWS credentials are never needed or used. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
