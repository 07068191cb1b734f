/**
 * The daemon's logger: lines go to stderr (the log file when detached, rotated by size: see
 * `logRotation.ts`) and to every client that subscribed with `initialize.subscribeLog` (the
 * extension's output channel). Every line is cut at `LIMITS.maxLogLineChars`.
 */
import { LIMITS } from '../../protocol/limits';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export interface LogLine {
  level: LogLevel;
  message: string;
  time: string;
}

const order: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

export class Logger {
  private readonly sinks = new Set<(line: LogLine) => void>();
  constructor(
    private readonly minLevel: LogLevel = 'info',
    private readonly write: (text: string) => void = (t) => process.stderr.write(t),
    private readonly maxLineChars: number = LIMITS.maxLogLineChars,
  ) {}

  subscribe(sink: (line: LogLine) => void): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  log(level: LogLevel, message: string): void {
    if (order[level] < order[this.minLevel]) return;
    // Bounded: a message may carry what a remote party sent (a server's error body, a client's input).
    const bounded =
      message.length > this.maxLineChars
        ? `${message.slice(0, this.maxLineChars)}… (${message.length - this.maxLineChars} more chars)`
        : message;
    const line = { level, message: bounded, time: new Date().toISOString() };
    this.write(`${line.time} ${level.padEnd(5)} ${bounded}\n`);
    for (const sink of this.sinks) {
      try {
        sink(line);
      } catch {
        // a broken subscriber must not break logging
      }
    }
  }

  debug(m: string): void {
    this.log('debug', m);
  }
  info(m: string): void {
    this.log('info', m);
  }
  warn(m: string): void {
    this.log('warn', m);
  }
  error(m: string): void {
    this.log('error', m);
  }
}
