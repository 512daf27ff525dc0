#!/usr/bin/env node
// Entry point for `qx10-sim`: same as `qx10-mqtt sim ...`.
import { main } from "../dist/main.js";

await main(["sim", ...process.argv.slice(2)]);
