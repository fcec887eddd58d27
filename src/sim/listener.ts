/**
 * A data port that can be taken down and brought back like a stopped and restarted service:
 * `shut()` closes the listening socket (new callers get ECONNREFUSED) and destroys every open
 * connection; `open()` listens again on the same host and port.
 */
import type { Server, Socket } from 'node:net';

export class SwitchableListener {
  /** Every open socket; the value says whether it was accepted here (false: a companion, e.g. a proxy's upstream). */
  private readonly sockets = new Map<Socket, boolean>();
  private boundPort: number;

  constructor(
    private readonly server: Server,
    private readonly host: string,
    port: number,
  ) {
    this.boundPort = port;
    server.on('connection', (socket: Socket) => this.track(socket, true));
  }

  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server.listening;
  }

  /** Tracks a socket so `shut()` destroys it too (the proxy adds its upstream sockets as companions). */
  track(socket: Socket, accepted = false): void {
    this.sockets.set(socket, accepted);
    socket.once('close', () => this.sockets.delete(socket));
  }

  async open(): Promise<void> {
    if (this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen({ host: this.host, port: this.boundPort, exclusive: true }, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        if (address !== null && typeof address === 'object') this.boundPort = address.port;
        resolve();
      });
    });
  }

  /**
   * Stops listening and destroys every tracked connection; returns how many were dropped. Resolves
   * after the sockets have closed and one more turn of the event loop, so that a client in this
   * process has read the FIN and will not reuse a dead keep-alive connection.
   */
  async shut(): Promise<number> {
    const closed: Array<Promise<unknown>> = [];
    if (this.server.listening) closed.push(new Promise<void>((resolve) => this.server.close(() => resolve())));
    let dropped = 0;
    for (const [socket, accepted] of this.sockets) {
      if (accepted) dropped++;
      closed.push(new Promise((resolve) => socket.once('close', resolve)));
      socket.destroy();
    }
    this.sockets.clear();
    await Promise.all(closed);
    await new Promise((resolve) => setImmediate(resolve));
    return dropped;
  }
}
