/**
 * CPU and memory of a process and its descendants, sampled from /proc while
 * a scenario runs. Parsers are pure (unit-tested on real /proc text); the
 * sampler reads the files asynchronously on an interval.
 */
import { readdir, readFile } from "node:fs/promises";

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on every mainstream kernel config. */
export const CLOCK_TICKS_PER_S = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** User + system CPU time, clock ticks. */
  cpuTicks: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and
 * may itself contain spaces or parentheses, so fields are split after the
 * *last* ")".
 */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(")");
  if (close < 0) throw new Error(`not a /proc stat line: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, text.indexOf(" ")));
  // After ")": state(3) ppid(4) ... utime(14) stime(15); index 0 here is field 3.
  const rest = text.slice(close + 2).split(" ");
  return { pid, ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) };
}

/** Resident set size from /proc/<pid>/status (`VmRSS: 12345 kB`), in kB; 0 for a zombie. */
export function parseRssKb(statusText: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  return match ? Number(match[1]) : 0;
}

/** Every pid in the tree rooted at `root`, given each process's parent. */
export function descendantsOf(root: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

export interface ResourceUsage {
  /** Largest summed RSS of the process tree seen while sampling, MiB. */
  peakRssMb: number;
  /** CPU time of the tree over the sampled window as a share of one core, percent. */
  cpuPercent: number;
  /** CPU time of the tree over the sampled window, ms (10 ms resolution). */
  cpuMs: number;
}

/** CPU share of one core from two tick readings `elapsedMs` apart. */
export function cpuPercent(ticksBefore: number, ticksAfter: number, elapsedMs: number): number {
  if (elapsedMs <= 0) return 0;
  return ((ticksAfter - ticksBefore) / CLOCK_TICKS_PER_S / (elapsedMs / 1000)) * 100;
}

/** The pids of the tree rooted at `root`, from one scan of /proc. */
async function treeOf(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseProcStat(await readFile(`/proc/${entry}/stat`, "utf8"));
      parents.set(stat.pid, stat.ppid);
    } catch {
      // The process exited between readdir and read.
    }
  }
  return descendantsOf(root, parents);
}

async function readTree(pids: readonly number[]): Promise<{ ticks: number; rssKb: number }> {
  let ticks = 0;
  let rssKb = 0;
  for (const pid of pids) {
    try {
      ticks += parseProcStat(await readFile(`/proc/${pid}/stat`, "utf8")).cpuTicks;
      rssKb += parseRssKb(await readFile(`/proc/${pid}/status`, "utf8"));
    } catch {
      // Exited.
    }
  }
  return { ticks, rssKb };
}

/** Samples a process tree every `intervalMs` between start() and stop(). */
export class ProcessSampler {
  private timer?: NodeJS.Timeout;
  private startTicks = 0;
  private lastTicks = 0;
  private startedAt = 0;
  private peakRssKb = 0;
  private pending: Promise<void> = Promise.resolve();
  /** Found once at start: the systems under test fork their workers before they are ready. */
  private pids: number[] = [];

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 250,
  ) {}

  async start(): Promise<void> {
    this.pids = await treeOf(this.pid);
    const first = await readTree(this.pids);
    this.startTicks = this.lastTicks = first.ticks;
    this.peakRssKb = first.rssKb;
    this.startedAt = performance.now();
    this.timer = setInterval(() => {
      this.pending = this.pending.then(() => this.sample());
    }, this.intervalMs);
  }

  private async sample(): Promise<void> {
    const now = await readTree(this.pids);
    this.lastTicks = Math.max(this.lastTicks, now.ticks);
    this.peakRssKb = Math.max(this.peakRssKb, now.rssKb);
  }

  async stop(): Promise<ResourceUsage> {
    clearInterval(this.timer);
    await this.pending;
    await this.sample();
    return {
      peakRssMb: this.peakRssKb / 1024,
      cpuPercent: cpuPercent(this.startTicks, this.lastTicks, performance.now() - this.startedAt),
      cpuMs: ((this.lastTicks - this.startTicks) / CLOCK_TICKS_PER_S) * 1000,
    };
  }
}
