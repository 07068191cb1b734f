/**
 * A circuit breaker per member (pure: the caller passes `now`). Closed: calls go through. After
 * `failureThreshold` consecutive failures it opens: calls fail fast for `coolDownMs`. Then it is
 * half-open: one call (a request or a health check) goes through as a probe; success closes it,
 * failure opens it again for twice as long (up to `maxCoolDownMs`).
 */
export type BreakerState = 'closed' | 'open' | 'halfOpen';

export interface BreakerSettings {
  failureThreshold: number;
  coolDownMs: number;
  maxCoolDownMs: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { failureThreshold: 3, coolDownMs: 10_000, maxCoolDownMs: 5 * 60_000 };

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutive = 0;
  private openUntil = 0;
  private coolDown: number;
  private probing = false;

  constructor(private readonly settings: BreakerSettings = DEFAULT_BREAKER) {
    this.coolDown = settings.coolDownMs;
  }

  state(now: number): BreakerState {
    if (this.current === 'open' && now >= this.openUntil) this.current = 'halfOpen';
    return this.current;
  }

  /** Whether a call may go now; in half-open, only the one probe. The caller must then report success or failure. */
  tryPass(now: number): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.current = 'closed';
    this.consecutive = 0;
    this.probing = false;
    this.coolDown = this.settings.coolDownMs;
  }

  failure(now: number): void {
    this.consecutive++;
    const state = this.state(now);
    if (state === 'halfOpen') {
      this.coolDown = Math.min(this.settings.maxCoolDownMs, this.coolDown * 2);
      this.open(now);
    } else if (state === 'closed' && this.consecutive >= this.settings.failureThreshold) this.open(now);
    this.probing = false;
  }

  /** A call that neither succeeded nor failed (cancelled by its caller): a probe may go again. */
  release(): void {
    this.probing = false;
  }

  /** Until a probe may go, when open. */
  retryInMs(now: number): number {
    return this.state(now) === 'open' ? this.openUntil - now : 0;
  }

  get failures(): number {
    return this.consecutive;
  }

  private open(now: number): void {
    this.current = 'open';
    this.openUntil = now + this.coolDown;
  }
}
