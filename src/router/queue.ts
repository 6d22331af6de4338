import { create } from "@bufbuild/protobuf";
import { WaitQueueStateSchema, type WaitQueueState } from "../../gen/ts/switchyard/v1/admin_pb.js";
import { ErrorKind } from "../../gen/ts/switchyard/v1/inference_pb.js";
import type { ResolvedDeployment, WaitQueuePolicy } from "../config/resolved.js";
import { GatewayError } from "../errors/gateway-error.js";
import type { Clock, TimerHandle } from "../util/clock.js";
import { exclusion } from "./eligibility.js";
import type { DeploymentStats } from "./state/state-store.js";

export type { WaitQueuePolicy } from "../config/resolved.js";

/**
 * Capacity also frees where this instance cannot see it (another gateway's
 * request ends, a new clock minute resets rpm/tpm): the head of each queue
 * re-checks this often even without a local wake-up.
 */
export const RECHECK_INTERVAL_MS = 100;

/** A request's place in its group's queue; it keeps it across re-checks, so its turn holds within a priority. */
export interface Ticket {
  readonly group: string;
  readonly caller: string;
  readonly priority: number;
  /** The caller's turn (GroupQueue.nextRound): callers with requests waiting take turns. */
  readonly round: number;
  readonly seq: number;
  readonly enqueuedMs: number;
}

interface Waiter {
  ticket: Ticket;
  wake(): void;
  /** Gives the waiter's place to another caller's request: it fails with `error`. */
  evict(error: GatewayError): void;
}

interface GroupQueue {
  waiters: Waiter[];
  /**
   * Each caller's next turn. A caller's requests get turns n, n+1, ...;
   * a caller new to the queue (or with none waiting) starts at the turn
   * being served, so it waits behind one request of each caller ahead of
   * it, not behind everything a busy caller queued first.
   */
  nextRound: Map<string, number>;
  /** Latest turn served: where a newcomer's turns start. Only grows. */
  servingRound: number;
  served: number;
  rejected: number;
  expired: number;
  totalWaitMs: number;
  maxWaitMs: number;
}

/**
 * Bounded per-group priority queues of requests waiting for a deployment
 * at its limits: higher priority first; within a priority, callers take
 * turns (one request each per round, first come first served within a
 * turn), so a caller that floods the queue delays its own requests, not
 * other callers'. Only the head of a queue is woken (when a request of the
 * group ends here, or every RECHECK_INTERVAL_MS); if it gets a deployment
 * it passes the wake-up on to the next, if not it waits again in its place.
 * Queues are short and usually empty, so a sorted array is enough.
 */
export class WaitQueue {
  private readonly queues = new Map<string, GroupQueue>();
  private seq = 0;
  private recheck?: TimerHandle;

  constructor(
    private readonly policy: WaitQueuePolicy,
    private readonly clock: Clock,
  ) {}

  /**
   * A place in `group`'s queue for a request of `caller` ("" for all when
   * callers are unknown). When the queue is full, the place goes to it only
   * if another caller holds at least two more places than this one holds: that
   * caller's last-served waiter fails instead (a flood costs the flooder its
   * places, not others theirs). Otherwise RESOURCE_EXHAUSTED.
   */
  enter(group: string, priority: number, caller = ""): Ticket {
    if (!this.policy.fairByCaller) caller = ""; // every request one caller: first come, first served
    const queue = this.queue(group);
    if (queue.waiters.length >= this.policy.maxDepth) {
      const victim = placeToTake(queue.waiters, caller);
      queue.rejected++;
      if (!victim) {
        throw new GatewayError(
          ErrorKind.RATE_LIMITED,
          `every deployment of "${group}" is at its limits and ${queue.waiters.length} requests are already waiting (wait_queue.max_depth ${this.policy.maxDepth})`,
        );
      }
      victim.waiter.evict(
        new GatewayError(
          ErrorKind.RATE_LIMITED,
          `every deployment of "${group}" is at its limits and the wait queue is full (wait_queue.max_depth ${this.policy.maxDepth}): this caller held ${victim.held} of its places, so its last one went to a caller with fewer`,
        ),
      );
    }
    const round = Math.max(queue.servingRound, queue.nextRound.get(caller) ?? 0);
    queue.nextRound.set(caller, round + 1);
    return { group, caller, priority, round, seq: this.seq++, enqueuedMs: this.clock.now() };
  }

  /** Whether requests of `group` are waiting: a newcomer queues behind them instead of taking freed capacity. */
  hasWaiters(group: string): boolean {
    return (this.queues.get(group)?.waiters.length ?? 0) > 0;
  }

  /**
   * Waits in the ticket's place until woken (capacity may have freed: try
   * again), or rejects when `signal` aborts or the wait exceeds the
   * request's deadline (`remainingMs`, else max_wait_ms).
   */
  wait(ticket: Ticket, signal: AbortSignal, remainingMs: number, onExpired: () => unknown): Promise<void> {
    const queue = this.queue(ticket.group);
    const limitMs = Math.min(remainingMs, ticket.enqueuedMs + this.policy.maxWaitMs - this.clock.now());
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        const i = queue.waiters.indexOf(waiter);
        if (i >= 0) queue.waiters.splice(i, 1);
        expiry.cancel();
        signal.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        ticket,
        wake: () => {
          leave();
          resolve();
        },
        evict: (error) => {
          leave();
          reject(error);
        },
      };
      const onAbort = () => {
        leave();
        queue.expired++;
        reject(signal.reason);
      };
      const expiry = this.clock.setTimer(Math.max(0, limitMs), () => {
        leave();
        queue.expired++;
        reject(onExpired());
      });
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      insertInOrder(queue.waiters, waiter);
      this.armRecheck();
    });
  }

  /** The ticket's request got a deployment. */
  served(ticket: Ticket): void {
    const queue = this.queue(ticket.group);
    const waited = this.clock.now() - ticket.enqueuedMs;
    queue.served++;
    queue.totalWaitMs += waited;
    queue.maxWaitMs = Math.max(queue.maxWaitMs, waited);
    queue.servingRound = Math.max(queue.servingRound, ticket.round);
    this.forgetPastTurns(queue);
    this.wakeHead(ticket.group); // capacity may be left for the next one
  }

  /** Capacity of `group` may have freed (a request of it ended here): the head tries again. */
  wakeHead(group: string): void {
    this.queues.get(group)?.waiters[0]?.wake();
  }

  /** Capacity may have freed somewhere (a minute began, a call ended in another worker): every queue's head tries again. Whether any waits. */
  wakeHeads(): boolean {
    let waiting = false;
    for (const group of this.queues.keys()) {
      if (this.hasWaiters(group)) {
        waiting = true;
        this.wakeHead(group);
      }
    }
    return waiting;
  }

  state(): WaitQueueState[] {
    return [...this.queues].map(([group, q]) =>
      create(WaitQueueStateSchema, {
        modelGroup: group,
        depth: q.waiters.length,
        served: BigInt(q.served),
        rejected: BigInt(q.rejected),
        expired: BigInt(q.expired),
        meanWaitMs: q.served > 0 ? q.totalWaitMs / q.served : 0,
        maxWaitMs: q.maxWaitMs,
      }),
    );
  }

  close(): void {
    this.recheck?.cancel();
    this.recheck = undefined;
  }

  private armRecheck(): void {
    if (this.recheck) return;
    this.recheck = this.clock.setTimer(RECHECK_INTERVAL_MS, () => {
      this.recheck = undefined;
      if (this.wakeHeads()) this.armRecheck();
    });
  }

  /**
   * Callers whose turns are all at or behind the one being served would
   * start there anyway: forget them, once the queue empties or the map
   * outgrows the queue, so it stays about as small as the callers waiting.
   * (servingRound itself only grows: a woken head that fails keeps its
   * turn when it queues again.)
   */
  private forgetPastTurns(queue: GroupQueue): void {
    if (queue.waiters.length > 0 && queue.nextRound.size <= 2 * this.policy.maxDepth) return;
    for (const [caller, next] of queue.nextRound) if (next <= queue.servingRound) queue.nextRound.delete(caller);
  }

  private queue(group: string): GroupQueue {
    let queue = this.queues.get(group);
    if (!queue) {
      queue = { waiters: [], nextRound: new Map(), servingRound: 0, served: 0, rejected: 0, expired: 0, totalWaitMs: 0, maxWaitMs: 0 };
      this.queues.set(group, queue);
    }
    return queue;
  }
}

/**
 * The waiter to evict so a request of `caller` gets a place in a full
 * queue: the last-served waiter of the caller holding the most places,
 * when that is at least two more than `caller` holds (one more would only
 * swap which of the two holds more); undefined when none.
 */
function placeToTake(waiters: readonly Waiter[], caller: string): { waiter: Waiter; held: number } | undefined {
  const held = new Map<string, number>();
  for (const w of waiters) held.set(w.ticket.caller, (held.get(w.ticket.caller) ?? 0) + 1);
  let most = "";
  let mostHeld = 0;
  for (const [c, n] of held) {
    if (n > mostHeld) {
      most = c;
      mostHeld = n;
    }
  }
  if (mostHeld < (held.get(caller) ?? 0) + 2) return undefined;
  for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.ticket.caller === most) return { waiter: waiters[i]!, held: mostHeld };
  return undefined;
}

/** Higher priority first, then the earlier turn, then the older ticket: a re-queued head goes back to the front. */
function insertInOrder(waiters: Waiter[], waiter: Waiter): void {
  const before = (a: Ticket, b: Ticket) =>
    a.priority > b.priority || (a.priority === b.priority && (a.round < b.round || (a.round === b.round && a.seq < b.seq)));
  let i = waiters.length;
  while (i > 0 && before(waiter.ticket, waiters[i - 1]!.ticket)) i--;
  waiters.splice(i, 0, waiter);
}

/**
 * Whether waiting can help: some deployment is ruled out only by a limit
 * that frees with time (in-flight requests, this minute's rpm/tpm), not by
 * health, a drain, a cooldown or trial, or its context window.
 */
export function anyAtLimitOnly(deployments: readonly ResolvedDeployment[], stats: ReadonlyMap<string, DeploymentStats>, nowMs: number): boolean {
  return deployments.some((d) => {
    const s = stats.get(d.id);
    if (!s) return false;
    const excluded = exclusion(d, s, { nowMs, promptTokens: 0 });
    return typeof excluded === "object" && excluded.atLimit;
  });
}

/**
 * Several wait queues' states as one per model group (the worker threads of
 * one gateway each queue their own requests): counts add up, the mean wait
 * is weighted by the requests served, the longest wait is the longest.
 */
export function mergeWaitQueueStates(perQueue: readonly (readonly WaitQueueState[])[]): WaitQueueState[] {
  const byGroup = new Map<string, WaitQueueState>();
  for (const states of perQueue) {
    for (const state of states) {
      const total = byGroup.get(state.modelGroup);
      if (!total) {
        byGroup.set(state.modelGroup, create(WaitQueueStateSchema, { ...state }));
        continue;
      }
      const served = total.served + state.served;
      total.meanWaitMs = served > 0n ? (total.meanWaitMs * Number(total.served) + state.meanWaitMs * Number(state.served)) / Number(served) : 0;
      total.served = served;
      total.depth += state.depth;
      total.rejected += state.rejected;
      total.expired += state.expired;
      total.maxWaitMs = Math.max(total.maxWaitMs, state.maxWaitMs);
    }
  }
  return [...byGroup.values()].sort((a, b) => a.modelGroup.localeCompare(b.modelGroup));
}
