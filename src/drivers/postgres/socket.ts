// TCP_NODELAY on the sockets postgres.js opens, as libpq sets it. Without it, Nagle's algorithm
// holds a small write back until the server acknowledges the previous one, and the server delays
// that acknowledgement (about 40 ms) while it waits for more: every COPY (its data, then CopyDone
// in a second write) stalled about 80 ms, and plain round trips were several times slower.
// postgres.js keeps its socket to itself, so `connect` of node:net's Socket is wrapped, once.

import net from "node:net";

const patched = Symbol.for("db-migrate.nodelay");
const proto = net.Socket.prototype as net.Socket & { [patched]?: true };
if (!proto[patched]) {
  const connect = proto.connect;
  proto.connect = function (this: net.Socket, ...args: unknown[]) {
    this.once("connect", () => this.setNoDelay(true));
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof proto.connect;
  proto[patched] = true;
}
