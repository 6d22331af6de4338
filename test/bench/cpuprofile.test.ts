import { describe, expect, it } from "vitest";
import { areaOf, hottestFrames, inclusiveFrames, profileSpanMs, selfTimeByArea, type CpuProfile } from "../../bench/lib/cpuprofile.js";

const frame = (id: number, functionName: string, url: string, lineNumber: number) => ({ id, callFrame: { functionName, url, lineNumber } });

describe("hottestFrames", () => {
  const profile: CpuProfile = {
    nodes: [
      frame(1, "(root)", "", -1),
      frame(2, "(idle)", "", -1),
      frame(3, "encode", "file:///repo/src/server/codec.ts", 9),
      frame(4, "", "file:///repo/node_modules/undici/lib/pool.js", 99),
      frame(5, "(garbage collector)", "", -1),
    ],
    // Each sample's time is the *next* delta (as DevTools counts it): encode gets 300+100, the anonymous
    // function 100, GC 100, the last sample nothing; idle's 1000 is not work.
    samples: [3, 2, 3, 4, 5, 3],
    timeDeltas: [0, 300, 1000, 100, 100, 100],
  };

  it("ranks functions by self time as a share of non-idle time, with repo-relative locations", () => {
    const frames = hottestFrames(profile, 10, "/repo");
    expect(frames.map((f) => f.functionName)).toEqual(["encode", "(anonymous)", "(garbage collector)"]);
    expect(frames[0]).toEqual({ functionName: "encode", location: "src/server/codec.ts:10", selfPercent: (400 / 600) * 100 });
    expect(frames[1].location).toBe("undici/lib/pool.js:100");
    expect(frames[2].location).toBe("(native)");
    expect(frames.reduce((sum, f) => sum + f.selfPercent, 0)).toBeCloseTo(100, 10);
  });

  it("honours the limit and returns nothing for an all-idle profile", () => {
    expect(hottestFrames(profile, 1, "/repo")).toHaveLength(1);
    expect(hottestFrames({ nodes: [frame(1, "(idle)", "", -1)], samples: [1, 1], timeDeltas: [0, 5] })).toEqual([]);
  });

  it("leaves out the first milliseconds (start-up) when asked", () => {
    // Sample timestamps: 0, 300, 1300, 1400, 1500, 1600 µs; skipping 1.35 ms keeps the samples at 1400 and 1500.
    const frames = hottestFrames(profile, 10, "/repo", 1.35);
    expect(frames.map((f) => [f.functionName, f.selfPercent])).toEqual([
      ["(anonymous)", 50],
      ["(garbage collector)", 50],
    ]);
  });

  it("sums self time by area: our folders, npm packages, Node core and V8", () => {
    expect(areaOf("file:///repo/src/router/router.ts", "route", "/repo")).toBe("src/router");
    expect(areaOf("file:///repo/gen/ts/switchyard/v1/inference_pb.ts", "x", "/repo")).toBe("gen (generated code)");
    expect(areaOf("file:///repo/node_modules/@connectrpc/connect/dist/esm/x.js", "f", "/repo")).toBe("@connectrpc/connect");
    expect(areaOf("file:///repo/node_modules/undici/lib/pool.js", "f", "/repo")).toBe("undici");
    expect(areaOf("node:internal/abort_controller", "abortSignal", "/repo")).toBe("Node core (node:*)");
    expect(areaOf("", "(garbage collector)", "/repo")).toBe("V8 garbage collector");
    expect(selfTimeByArea(profile, "/repo")).toEqual([
      { area: "src/server", selfPercent: (400 / 600) * 100 },
      { area: "undici", selfPercent: (100 / 600) * 100 },
      { area: "V8 garbage collector", selfPercent: (100 / 600) * 100 },
    ]);
  });

  it("counts inclusive time for a function anywhere on the stack, once per sample", () => {
    // handle → route → route (recursion) → send; handle → encode.
    const tree: CpuProfile = {
      nodes: [
        { ...frame(1, "(root)", "", -1), children: [2] },
        { ...frame(2, "handle", "file:///repo/src/server/a.ts", 0), children: [3, 6] },
        { ...frame(3, "route", "file:///repo/src/router/r.ts", 0), children: [4] },
        { ...frame(4, "route", "file:///repo/src/router/r.ts", 0), children: [5] },
        frame(5, "send", "file:///repo/node_modules/undici/x.js", 0),
        frame(6, "encode", "file:///repo/src/server/codec.ts", 0),
      ],
      samples: [5, 6, 5, 2],
      timeDeltas: [0, 100, 100, 100, 100],
    };
    const ours = inclusiveFrames(tree, (loc) => loc.startsWith("src/"), "/repo");
    expect(ours.map((f) => [f.functionName, f.selfPercent])).toEqual([
      ["handle", 100],
      ["route", 50],
      ["encode", 25],
    ]);
    expect(profileSpanMs(tree)).toBe(0.4);
  });
});
