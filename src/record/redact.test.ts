import { describe, expect, it } from "vitest";
import { DEFAULT_ENV_ALLOWLIST, looksSecretFile, redactArgv, selectEnv, stripCredentials } from "./redact.js";

describe("selectEnv", () => {
  const env = {
    NODE_ENV: "production",
    CUDA_VISIBLE_DEVICES: "0",
    AWS_SECRET_ACCESS_KEY: "AKIAFAKE",
    HF_TOKEN: "hf_FAKE",
    DATABASE_URL: "postgres://u:p4ss@h/db",
    HTTPS_PROXY: "http://u:p4ss@px:3128",
    MY_VAR: "plain",
    SNEAKY: "ghp_abcdefgh",
    HOME: "/root",
  };

  it("keeps only allowlisted names", () => {
    expect(selectEnv(env, DEFAULT_ENV_ALLOWLIST)).toEqual({ vars: { CUDA_VISIBLE_DEVICES: "0", NODE_ENV: "production" }, refused: [] });
  });

  it("refuses secret-looking names and values even when asked for", () => {
    const result = selectEnv(env, ["MY_VAR", "AWS_SECRET_ACCESS_KEY", "HF_TOKEN", "DATABASE_URL", "HTTPS_PROXY", "SNEAKY"]);
    expect(result.vars).toEqual({ MY_VAR: "plain" });
    expect(result.refused).toEqual(["AWS_SECRET_ACCESS_KEY", "DATABASE_URL", "HF_TOKEN", "HTTPS_PROXY", "SNEAKY"]);
    expect(JSON.stringify(result)).not.toMatch(/FAKE|p4ss|ghp_/);
  });
});

describe("redactArgv", () => {
  it.each([
    [["node", "train.js", "--api-key", "sk-FAKE", "--lr", "0.1"], ["node", "train.js", "--api-key", "***", "--lr", "0.1"], [3]],
    [["node", "t.js", "--wandb-key=wk_FAKE"], ["node", "t.js", "--wandb-key=***"], [2]],
    [
      ["python", "t.py", "--token", "abc", "--password=x"],
      ["python", "t.py", "--token", "***", "--password=***"],
      [3, 4],
    ],
    [["curl", "https://alice:pw@host/x"], ["curl", "***"], [1]],
    [["node", "t.js", "--key-size", "--lr", "1"], ["node", "t.js", "--key-size", "--lr", "1"], []],
    [["node", "t.js", "a b", "", "é"], ["node", "t.js", "a b", "", "é"], []],
  ])("%j", (argv, expected, positions) => {
    expect(redactArgv(argv)).toEqual({ argv: expected, redacted: positions });
  });
});

describe("stripCredentials", () => {
  it.each([
    ["https://alice:ghp_FAKE@github.com/o/r.git", "https://github.com/o/r.git"],
    ["https://token@github.com/o/r.git", "https://github.com/o/r.git"],
    ["git@github.com:o/r.git", "git@github.com:o/r.git"],
    ["ssh://git@host:22/r.git", "ssh://host:22/r.git"],
    ["https://github.com/o/r.git", "https://github.com/o/r.git"],
  ])("%s -> %s", (url, expected) => expect(stripCredentials(url)).toBe(expected));
});

describe("looksSecretFile", () => {
  it.each([".env", ".env.local", "id_rsa", "keys/key.pem", "gcp.json", "conf/.npmrc", "credentials.json"])("%s is secret-looking", (p) =>
    expect(looksSecretFile(p)).toBe(true),
  );
  it.each(["train.js", "data/env.csv", "environment.yml", "keyboard.py"])("%s is not", (p) => expect(looksSecretFile(p)).toBe(false));
});
