/**
 * Access to the real captures in ../shared/fixtures, read in place (never copied into the project).
 * Where the folder is absent (a fresh clone without ../shared), tests that need it skip with a
 * visible message instead of failing.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** Absolute path of ../shared/fixtures (relative to the project root). */
export const fixturesDir = resolve(here, "..", "..", "..", "shared", "fixtures");

/** True when the shared fixtures are present. */
export const haveFixtures = existsSync(fixturesDir);

if (!haveFixtures) {
  console.warn(
    `[fixtures] ${fixturesDir} is absent: tests that read the real camera captures are SKIPPED.`,
  );
}

/** Absolute path of a fixture file, e.g. `fixturePath("ddxml/DSC-QX100.xml")`. */
export function fixturePath(rel: string): string {
  return join(fixturesDir, rel);
}

/** The bytes of a fixture file. */
export function readFixture(rel: string): Buffer {
  return readFileSync(fixturePath(rel));
}

/** A fixture parsed as JSON. */
export function readFixtureJson(rel: string): unknown {
  return JSON.parse(readFixture(rel).toString("utf8")) as unknown;
}

/** File names in a fixture folder (empty when the fixtures are absent). */
export function listFixtures(folder: string): string[] {
  return haveFixtures ? readdirSync(fixturePath(folder)).sort() : [];
}
