import type { Socket } from 'node:net';

/**
 * Holds the socket's writes until the current tick's work is done, so that the PDUs written meanwhile
 * (a window's worth of submit_sm, the responses to one read of them) leave in one write system call
 * instead of one each: on a busy link those calls were a visible share of the CPU on both ends.
 * Nothing waits longer than the tick that wrote it.
 */
export function batchWrites(socket: Socket): void {
  if (socket.writableCorked > 0) return;
  socket.cork();
  process.nextTick(() => socket.uncork());
}
