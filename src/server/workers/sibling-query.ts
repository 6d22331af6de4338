import { BroadcastChannel } from "node:worker_threads";

type Message = { type: "ask"; id: number; from: number } | { type: "reply"; id: number; to: number; payload: Uint8Array };

/**
 * Asks every sibling worker thread of a pool for its own share of some
 * figure (cache stats, wait queues) over a BroadcastChannel and collects the
 * replies. A sibling that does not answer within the timeout (one being
 * replaced) is left out rather than holding the caller.
 */
export class SiblingQuery {
  private readonly channel: BroadcastChannel;
  private nextId = 0;
  private readonly pending = new Map<number, { replies: Uint8Array[]; done: () => void }>();

  constructor(
    channelName: string,
    private readonly slot: number,
    private readonly workers: number,
    /** This worker's own share, as siblings ask for it. */
    private readonly answer: () => Uint8Array | Promise<Uint8Array>,
    private readonly timeoutMs = 250,
  ) {
    this.channel = new BroadcastChannel(channelName);
    this.channel.unref();
    this.channel.onmessage = (event) => this.receive((event as MessageEvent<Message>).data);
  }

  /** Every sibling's share that arrived in time (this worker's own is not included). */
  async ask(): Promise<Uint8Array[]> {
    const others = this.workers - 1;
    if (others === 0) return [];
    const id = this.nextId++;
    const replies: Uint8Array[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.timeoutMs);
      this.pending.set(id, {
        replies,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      this.channel.postMessage({ type: "ask", id, from: this.slot } satisfies Message);
    });
    this.pending.delete(id);
    return replies;
  }

  close(): void {
    this.channel.close();
  }

  private receive(message: Message): void {
    if (message.type === "ask") {
      void Promise.resolve(this.answer()).then((payload) => this.channel.postMessage({ type: "reply", id: message.id, to: message.from, payload } satisfies Message));
      return;
    }
    if (message.to !== this.slot) return;
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    waiting.replies.push(message.payload);
    if (waiting.replies.length === this.workers - 1) waiting.done();
  }
}
