/**
 * The client's side of the liveness check. A daemon that hangs (stopped, swapped out, a network
 * stack that dropped the connection without a FIN) would otherwise leave every request waiting for
 * its own timeout; pinging it every interval and giving up after `maxMissed` unanswered pings
 * turns that into a prompt close, which callers already handle (the extension reconnects, the CLI
 * reports ConnectionClosed). The daemon runs the same check the other way (daemon/server.ts).
 */
import { LIMITS } from '../protocol/limits';

/** What the heartbeat needs of a socket: `ws`'s WebSocket has it, and so can a test's fake. */
export interface PingableSocket {
  ping(): void;
  on(event: 'pong', listener: () => void): unknown;
  off(event: 'pong', listener: () => void): unknown;
}

export interface HeartbeatOptions {
  /** Time between pings; the daemon's own interval by default. */
  intervalMs?: number;
  /** Pings left unanswered before the connection counts as dead (at least 1; default 2). */
  maxMissed?: number;
}

export interface Heartbeat {
  /** Pings sent since the last pong (0 right after a pong). */
  readonly unanswered: number;
  stop(): void;
}

/** Pings `socket` every interval; calls `onDead` once, and stops, when `maxMissed` pings in a row go unanswered. */
export function startHeartbeat(socket: PingableSocket, opts: HeartbeatOptions, onDead: (why: string) => void): Heartbeat {
  const intervalMs = opts.intervalMs ?? LIMITS.heartbeatIntervalMs;
  const maxMissed = Math.max(1, opts.maxMissed ?? 2);
  let unanswered = 0;
  const onPong = (): void => {
    unanswered = 0;
  };
  socket.on('pong', onPong);
  const stop = (): void => {
    clearInterval(timer);
    socket.off('pong', onPong);
  };
  const timer = setInterval(() => {
    if (unanswered >= maxMissed) {
      stop();
      onDead(`the daemon answered none of the last ${maxMissed} pings (one every ${intervalMs} ms)`);
      return;
    }
    unanswered++;
    socket.ping();
  }, intervalMs);
  // The heartbeat alone must not keep a CLI process alive.
  timer.unref();
  return {
    get unanswered() {
      return unanswered;
    },
    stop,
  };
}
