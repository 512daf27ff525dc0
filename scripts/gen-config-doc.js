#!/usr/bin/env node
// Generates docs/configuration.md from schemas/config.schema.json: every key with its type,
// default, environment variable and meaning. `--check` compares instead of writing and exits 1
// when the file is out of date (npm run check:config-doc).
//
// Environment variable names follow src/config/env.ts: QX10_ + the key path in upper case, levels
// joined by a double underscore (mqtt.tls.ca -> QX10_MQTT__TLS__CA).
import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { fileURLToPath, URL } from "node:url";
import * as prettier from "prettier";

const root = fileURLToPath(new URL("..", import.meta.url));
const schemaPath = `${root}schemas/config.schema.json`;
const outPath = `${root}docs/configuration.md`;

/** Longest default rendered inline in the table; longer ones are listed below it. */
const INLINE_DEFAULT_MAX = 40;

const envName = (path) => `QX10_${path.map((p) => p.toUpperCase()).join("__")}`;
/** Markdown-safe text: `<base>` would otherwise be read as an HTML tag and vanish. */
const text = (t) => String(t).replace(/</g, "&lt;").replace(/>/g, "&gt;");
const cell = (t) => text(t).replace(/\|/g, "\\|").replace(/\n/g, " ");

function typeOf(node) {
  if (node.enum !== undefined) return node.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  const types = Array.isArray(node.type) ? node.type : [node.type ?? "any"];
  return types
    .map((t) => (t === "array" && node.items?.type !== undefined ? `${node.items.type}[]` : t))
    .join(" \\| ");
}

function constraints(node) {
  const out = [];
  if (node.minimum !== undefined) out.push(`≥ ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) out.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined) out.push(`≤ ${node.maximum}`);
  if (node.minLength !== undefined && node.minLength > 1) out.push(`length ≥ ${node.minLength}`);
  if (node.maxLength !== undefined) out.push(`length ≤ ${node.maxLength}`);
  if (node.pattern !== undefined) out.push(`matches \`${node.pattern}\``);
  if (node.format !== undefined) out.push(`format ${node.format}`);
  return out.length === 0 ? "" : ` (${out.join(", ")})`;
}

/** Collects the leaf keys of an object node, depth first, with their paths. */
function leaves(node, path, out) {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const p = [...path, key];
    if (child.type === "object" && child.properties !== undefined) leaves(child, p, out);
    else out.push({ path: p, node: child });
  }
  return out;
}

export function renderConfigDoc(schema) {
  const lines = [
    "<!-- Generated from schemas/config.schema.json by `npm run gen:config-doc`. Do not edit by hand. -->",
    "",
    "# Configuration reference",
    "",
    text(schema.description ?? ""),
    "",
    "- File: YAML or JSON, given with `--config FILE` or `QX10_CONFIG=FILE` (see `examples/config.yaml`).",
    "- Environment: `QX10_<SECTION>__<KEY>` overrides the file, levels joined by a double underscore;",
    "  lists as JSON or comma-separated; `null` or an empty value for nullable keys; one pair of",
    "  surrounding quotes is stripped. A variable that names no key is an error.",
    "- An invalid configuration is refused with every problem listed, exit code 2. `qx10-mqtt doctor`",
    "  checks a configuration against the real camera and broker.",
    "",
  ];
  for (const [section, node] of Object.entries(schema.properties ?? {})) {
    lines.push(`## ${section}`, "", text(node.description ?? ""), "");
    lines.push("| key | type | default | environment variable | meaning |");
    lines.push("| --- | --- | --- | --- | --- |");
    const long = [];
    for (const { path, node: leaf } of leaves(node, [section], [])) {
      const key = path.join(".");
      const json = JSON.stringify(leaf.default);
      let def = leaf.default === undefined ? "—" : `\`${cell(json)}\``;
      if (json !== undefined && json.length > INLINE_DEFAULT_MAX) {
        def = "see below";
        long.push({ key, value: leaf.default });
      }
      lines.push(
        `| \`${key}\` | ${typeOf(leaf)} | ${def} | \`${envName(path)}\` | ${cell(
          (leaf.description ?? "") + constraints(leaf),
        )} |`,
      );
    }
    lines.push("");
    for (const { key, value } of long) {
      lines.push(
        `Default of \`${key}\`:`,
        "",
        "```json",
        JSON.stringify(value, null, 2),
        "```",
        "",
      );
    }
  }
  return lines.join("\n");
}

async function main() {
  const schema = JSON.parse(await readFile(schemaPath, "utf8"));
  const options = (await prettier.resolveConfig(outPath)) ?? {};
  const doc = await prettier.format(renderConfigDoc(schema), { ...options, parser: "markdown" });
  if (process.argv.includes("--check")) {
    let current = "";
    try {
      current = await readFile(outPath, "utf8");
    } catch {
      // missing: out of date
    }
    if (current !== doc) {
      process.stderr.write("docs/configuration.md is out of date: run npm run gen:config-doc\n");
      process.exitCode = 1;
    }
    return;
  }
  await writeFile(outPath, doc);
  process.stdout.write(`wrote ${outPath}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
