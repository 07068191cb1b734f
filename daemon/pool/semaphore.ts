/**
 * A counting semaphore with a bounded queue: waiters leave the queue when their AbortSignal fires,
 * and a caller that finds the queue full is refused at once (`busy()`), so memory stays bounded and
 * an overloaded member says so instead of piling up work.
 */
import { EnsembleError } from '../../protocol/errors';

export class Semaphore {
  private active = 0;
  private readonly waiters: Array<{ grant: () => void }> = [];

  constructor(
    private capacity: number,
    private maxQueue = Infinity,
    private readonly busy: (s: { active: number; queued: number }) => EnsembleError = () => new EnsembleError('BackendBusy', 'busy'),
  ) {}

  setCapacity(n: number, maxQueue = this.maxQueue): void {
    this.capacity = n;
    this.maxQueue = maxQueue;
    this.drain();
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  get full(): boolean {
    return this.active >= this.capacity;
  }

  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.active--;
      this.drain();
    }
  }

  private acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (this.active < this.capacity) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiters.length >= this.maxQueue) return Promise.reject(this.busy({ active: this.active, queued: this.waiters.length }));
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          this.active++;
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private drain(): void {
    while (this.active < this.capacity && this.waiters.length > 0) this.waiters.shift()?.grant();
  }
}

export function abortError(signal: AbortSignal): EnsembleError {
  const reason: unknown = signal.reason;
  if (reason instanceof EnsembleError) return reason;
  if (reason instanceof DOMException && reason.name === 'TimeoutError') return new EnsembleError('Timeout', 'timed out');
  return new EnsembleError('RequestCancelled', 'cancelled');
}
