/**
 * Concurrent identical misses share one upstream call: the first caller
 * (the leader) runs it, the rest wait for its result. If the leader's own
 * call was cancelled by its client, followers do not inherit that
 * cancellation: each runs the call itself.
 */
export class SingleFlight<T> {
  private readonly flights = new Map<string, { result: Promise<T>; signal: AbortSignal }>();

  async run(key: string, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
    const flight = this.flights.get(key);
    if (flight) {
      try {
        return await flight.result;
      } catch (err) {
        if (flight.signal.aborted && !signal.aborted) return call();
        throw err;
      }
    }
    const result = call();
    this.flights.set(key, { result, signal });
    try {
      return await result;
    } finally {
      this.flights.delete(key);
    }
  }

  /** Calls in flight now (for tests and stats). */
  get size(): number {
    return this.flights.size;
  }
}
