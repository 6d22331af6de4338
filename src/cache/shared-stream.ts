/**
 * One upstream stream fanned out to every concurrent identical request
 * (single flight for streams). The upstream is read once into a buffer;
 * each subscriber replays the buffer from the start and then follows it
 * live, so a late joiner still gets the whole answer. The upstream runs on
 * its own signal and is cancelled only when the last subscriber leaves:
 * one caller hanging up does not cut the answer off for the others.
 */
export class SharedStream<T> {
  private readonly chunks: T[] = [];
  private done = false;
  private failure: { error: unknown } | undefined;
  private readonly waiters = new Set<() => void>();
  private subscribers = 0;
  private readonly upstream = new AbortController();
  /** Resolves once the upstream has ended, with success or not. */
  readonly settled: Promise<void>;

  constructor(source: (signal: AbortSignal) => AsyncIterable<T>) {
    this.settled = this.pump(source);
  }

  /** False once the upstream failed or was cancelled: a new caller must start its own stream. */
  get joinable(): boolean {
    return !this.failure && !this.upstream.signal.aborted;
  }

  /** The chunks as they arrive; throws what the upstream threw, or the subscriber's own abort reason. */
  async *subscribe(signal: AbortSignal): AsyncGenerator<T> {
    this.subscribers++;
    try {
      for (let i = 0; ; ) {
        if (i < this.chunks.length) {
          yield this.chunks[i++]!;
          continue;
        }
        if (this.failure) throw this.failure.error;
        if (this.done) return;
        await this.next(signal);
      }
    } finally {
      this.subscribers--;
      if (this.subscribers === 0 && !this.done && !this.failure) {
        this.upstream.abort(signal.reason ?? new Error("every caller of this stream went away"));
      }
    }
  }

  private async pump(source: (signal: AbortSignal) => AsyncIterable<T>): Promise<void> {
    try {
      for await (const chunk of source(this.upstream.signal)) {
        this.chunks.push(chunk);
        this.notify();
      }
      this.done = true;
    } catch (error) {
      this.failure = { error };
    } finally {
      this.notify();
    }
  }

  private next(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.waiters.delete(wake);
        reject(signal.reason);
      };
      const wake = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private notify(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiting) wake();
  }
}
