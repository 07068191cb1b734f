/**
 * Backpressure on one client socket. A client that sends and never reads would otherwise make the
 * daemon queue its replies without end: once the unsent bytes pass `pauseBufferedBytes` the daemon
 * stops reading that client's frames (so its requests stop producing replies) until they drain
 * below half of it; past `dropBufferedBytes` (a client that never reads again while notifications
 * keep coming) the connection is dropped.
 */
import type { WebSocket } from 'ws';
import { LIMITS } from '../../protocol/limits';

export interface BackpressureLimits {
  pauseBufferedBytes: number;
  dropBufferedBytes: number;
}

export interface GuardedSocket {
  send(text: string): void;
  /** Times the socket was paused, and whether it was dropped (for logs and tests). */
  readonly stats: { pauses: number; dropped: boolean };
}

export function guardSocket(
  ws: WebSocket,
  onDrop: (bufferedBytes: number) => void,
  limits: BackpressureLimits = LIMITS,
  onPause?: (bufferedBytes: number) => void,
): GuardedSocket {
  const stats = { pauses: 0, dropped: false };
  const written = () => {
    if (ws.isPaused && ws.bufferedAmount < limits.pauseBufferedBytes / 2) ws.resume();
  };
  return {
    stats,
    send(text) {
      if (stats.dropped || ws.readyState !== ws.OPEN) return;
      ws.send(text, written);
      const buffered = ws.bufferedAmount;
      if (buffered > limits.dropBufferedBytes) {
        stats.dropped = true;
        onDrop(buffered);
        ws.terminate();
      } else if (buffered > limits.pauseBufferedBytes && !ws.isPaused) {
        stats.pauses++;
        ws.pause();
        onPause?.(buffered);
      }
    },
  };
}
