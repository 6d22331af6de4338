import { expect } from "vitest";

/**
 * Waits for a condition that another process or event loop turn will
 * make true (a server parking on the fake clock, a socket closing).
 * Polls; bounded in real time so a loaded CI machine is not a flake.
 */
export async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
}
