// Flat config: type-checked typescript-eslint rules plus the folder boundaries of docs/style.md.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Modules that do I/O or keep time; pure codecs must not import them. */
const ioModules = [
  "undici",
  "mqtt",
  "node-ssdp",
  "pino",
  "node:net",
  "node:dgram",
  "node:http",
  "node:fs",
  "node:fs/promises",
  "node:timers",
  "node:timers/promises",
  "node:child_process",
];

export default tseslint.config(
  { ignores: ["dist/", "dist-bench/", "coverage/", "node_modules/", "bin/", ".tmp/"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/ban-ts-comment": [
        "error",
        { "ts-expect-error": "allow-with-description" },
      ],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
      "no-console": "error",
    },
  },
  {
    // The client must never depend on the simulator; only tests and the CLI start it.
    files: [
      "src/camera/**/*.ts",
      "src/liveview/**/*.ts",
      "src/mqtt/**/*.ts",
      "src/ha/**/*.ts",
      "src/bridge/**/*.ts",
    ],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["**/sim/**"] }],
    },
  },
  {
    // Pure codecs: bytes or values in, values out. No I/O, no timers (docs/style.md Part 3).
    files: [
      "src/liveview/codec.ts",
      "src/liveview/encode.ts",
      "src/liveview/types.ts",
      "src/liveview/jpeg.ts",
      "src/camera/rpc.ts",
      "src/camera/description.ts",
      "src/camera/events.ts",
      "src/mqtt/topics.ts",
      "src/ha/**/*.ts",
      "src/bridge/commands.ts",
    ],
    rules: {
      "no-restricted-imports": ["error", { paths: ioModules, patterns: ["**/sim/**"] }],
      "no-restricted-globals": ["error", "setTimeout", "setInterval", "setImmediate", "fetch"],
    },
  },
  {
    // The simulator must not import the client: it has to behave like a camera, not like our client expects.
    files: ["src/sim/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["**/camera/**", "**/bridge/**", "**/mqtt/**"] },
      ],
    },
  },
  {
    files: ["src/main.ts", "src/cli/**/*.ts", "src/sim/main.ts"],
    rules: { "no-console": "off" },
  },
  {
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "no-console": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
    },
  },
  { files: ["**/*.js"], ...tseslint.configs.disableTypeChecked },
);
