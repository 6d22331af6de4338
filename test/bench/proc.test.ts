import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { cpuPercent, descendantsOf, parseProcStat, parseRssKb, ProcessSampler } from "../../bench/lib/proc.js";

describe("/proc parsing", () => {
  it("reads pid, parent and user+system ticks even when the command name has spaces and parentheses", () => {
    // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const line = "4242 (my (weird) proc) S 17 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 11 0 1234 5678 910 18446744073709551615";
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 17, cpuTicks: 325 });
  });

  it("parses this process's own stat line, whose CPU ticks grow as the process burns CPU", async () => {
    const before = parseProcStat(await readFile("/proc/self/stat", "utf8"));
    expect(before.pid).toBe(process.pid);
    expect(before.ppid).toBe(process.ppid);
    // Burn 100 ms of this process's own CPU time (bounded by CPU, not wall time, so a busy machine only makes it take longer).
    const start = process.cpuUsage();
    let x = 0;
    for (let used = process.cpuUsage(start); used.user + used.system < 100_000; used = process.cpuUsage(start)) {
      for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1);
    }
    const after = parseProcStat(await readFile("/proc/self/stat", "utf8"));
    expect(x).toBeGreaterThan(0);
    // /proc counts in USER_HZ (100 per second on Linux): 100 ms is 10 ticks; misparsed fields (e.g. the utime of another column) would not move with it.
    expect(after.cpuTicks - before.cpuTicks).toBeGreaterThanOrEqual(5);
  });

  it("reads VmRSS in kB, and 0 when the line is absent (a zombie)", () => {
    expect(parseRssKb("Name:\tnode\nVmPeak:\t 999 kB\nVmRSS:\t  51234 kB\nVmData:\t 1 kB\n")).toBe(51234);
    expect(parseRssKb("Name:\tnode\nState:\tZ (zombie)\n")).toBe(0);
  });

  it("collects a process tree, root first, and ignores other trees", () => {
    const parents = new Map([
      [10, 1],
      [11, 10],
      [12, 10],
      [13, 11],
      [20, 1],
    ]);
    expect(descendantsOf(10, parents)).toEqual([10, 11, 12, 13]);
    expect(descendantsOf(20, parents)).toEqual([20]);
  });

  it("turns a tick delta into a share of one core", () => {
    // 150 ticks = 1.5 s of CPU over 3 s of wall time = 50% of a core.
    expect(cpuPercent(1000, 1150, 3000)).toBeCloseTo(50, 10);
    expect(cpuPercent(0, 10, 0)).toBe(0);
  });

  it("samples a live process: busy work shows up as CPU, and RSS is positive", async () => {
    const sampler = new ProcessSampler(process.pid, 50);
    await sampler.start();
    const until = performance.now() + 300;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const usage = await sampler.stop();
    expect(x).toBeGreaterThan(0);
    expect(usage.peakRssMb).toBeGreaterThan(10);
    // Loose bound: the machine is shared, but a 300 ms busy loop cannot read as idle.
    expect(usage.cpuPercent).toBeGreaterThan(5);
  });
});
