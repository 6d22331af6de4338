#!/usr/bin/env node
// Runs the TypeScript entry point through tsx, so there is no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
