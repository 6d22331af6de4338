import { describe, expect, it } from "vitest";
import { failureReason } from "../../bench/lib/install.js";

describe("a peer's install failure in the report", () => {
  it("keeps the tool's own reason, without our command prefix or a trailing period", () => {
    const err = new Error(
      "go install github.com/x/y@v1… exited 1: go: downloading a\ngo: github.com/x/y@v1: reading https://proxy.golang.org/github.com/x/y/@v/v1.info: 403 Forbidden\n\tserver response: This module version is not available.",
    );
    expect(failureReason(err)).toBe(
      "go: github.com/x/y@v1: reading https://proxy.golang.org/github.com/x/y/@v/v1.info: 403 Forbidden server response: This module version is not available",
    );
  });

  it("falls back to the last lines when none says why", () => {
    expect(failureReason(new Error("pip … exited 2: line one\nline two"))).toBe("line one line two");
  });
});
