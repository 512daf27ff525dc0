#!/usr/bin/env node
// Entry point for `qx10-mqtt`: the compiled CLI lives in dist/ (built by `npm ci` through `prepare`).
import { main } from "../dist/main.js";

await main(process.argv.slice(2));
