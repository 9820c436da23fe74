import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  DEFAULT_ENV_ALLOWLIST,
  looksSecretContent,
  looksSecretFile,
  looksSecretKey,
  redactArgv,
  redactedValues,
  redactParams,
  selectEnv,
  stripCredentials,
} from "./redact.js";

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
    [["env", "AWS_SECRET_ACCESS_KEY=FAKEsecret", "LR=0.1", "node"], ["env", "AWS_SECRET_ACCESS_KEY=***", "LR=0.1", "node"], [1]],
    [["python", "t.py", "model.api_key=FAKEkey", "max_tokens=10"], ["python", "t.py", "model.api_key=***", "max_tokens=10"], [2]],
    [["curl", "-H", "Authorization: Bearer FAKEbearer1"], ["curl", "-H", "Authorization: ***"], [2]],
    [["curl", "--header=Proxy-Authorization: Basic QWxhZGRpbjpvcGVu"], ["curl", "--header=Proxy-Authorization: ***"], [1]],
    [["x", "Bearer FAKEbearer2"], ["x", "Bearer ***"], [1]],
    [["x", "Basic QWxhZGRpbjpvcGVu"], ["x", "Basic ***"], [1]],
    [["x", "--arch", "basic", "resnet"], ["x", "--arch", "basic", "resnet"], []],
    [["x", '{"password":"FAKEpw","lr":1}'], ["x", '{"password":"***","lr":1}'], [1]],
    [["x", '[{"db":{"token":"FAKEtok"}}]'], ["x", '[{"db":{"token":"***"}}]'], [1]],
    [["x", '{"tokenizer":"bert","key_size":3}'], ["x", '{"tokenizer":"bert","key_size":3}'], []],
    [["HF_TOKEN=FAKEhf node t.js --lr 1"], ["HF_TOKEN=*** node t.js --lr 1"], [0]],
    [["curl", "https://x.com/data?access_token=FAKEq&page=2"], ["curl", "https://x.com/data?access_token=***&page=2"], [1]],
    [["curl", "https://x.com/data?page=2&sort=asc"], ["curl", "https://x.com/data?page=2&sort=asc"], []],
  ])("%j", (argv, expected, positions) => {
    expect(redactArgv(argv)).toEqual({ argv: expected, redacted: positions });
  });
});

describe("looksSecretKey", () => {
  it.each(["api_key", "apiKey", "AWS_SECRET_ACCESS_KEY", "hf_token", "db.password", "key", "Authorization", "client-secret", "DSN"])(
    "%s is secret",
    (key) => expect(looksSecretKey(key)).toBe(true),
  );
  it.each(["lr", "max_tokens", "tokenizer", "key_size", "monkey", "keyboard", "author", "num_keys", "batch_size"])("%s is not", (key) =>
    expect(looksSecretKey(key)).toBe(false),
  );
});

describe("redactParams", () => {
  it.each([
    [{ lr: 0.1 }, { lr: 0.1 }, []],
    [{ api_key: "FAKE", lr: 1 }, { api_key: "***", lr: 1 }, ["api_key"]],
    [{ db: { password: "x", port: 5 } }, { db: { password: "***", port: 5 } }, ["db.password"]],
    [{ list: [{ token: 3 }] }, { list: [{ token: "***" }] }, ["list[0].token"]],
    [{ note: "ghp_abcdefgh" }, { note: "***" }, ["note"]],
    [{ use_auth: true, token: null }, { use_auth: true, token: null }, []],
  ])("%j", (params, value, paths) => expect(redactParams(params)).toEqual({ value, paths }));

  it("keeps a __proto__ key a plain key", () => {
    const { value } = redactParams(JSON.parse('{"__proto__":{"secret":"x"}}'));
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(JSON.stringify(value)).toBe('{"__proto__":{"secret":"***"}}');
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
  it.each([
    ".env",
    ".env.local",
    "id_rsa",
    "keys/key.pem",
    "gcp.json",
    "conf/.npmrc",
    "credentials.json",
    ".git-credentials",
    ".pgpass",
    ".envrc",
    ".dockercfg",
    ".docker/config.json",
    "ops/.htpasswd",
    "kubeconfig",
    "prod.kubeconfig",
    "deploy_key",
    "deploy_key.pub",
    "terraform.tfvars",
    "infra/prod.tfvars.json",
    "token.txt",
    "hf_token.txt",
    ".aws/credentials",
    "home/.ssh/config",
    ".ssh/known_hosts",
    "vpn/office.ovpn",
    "alice-private.asc",
    "secring.gpg",
  ])("%s is secret-looking", (p) => expect(looksSecretFile(p)).toBe(true));
  it.each(["train.js", "data/env.csv", "environment.yml", "keyboard.py", "tokens.txt", "tokenizer.txt", "docker/config.json", "notes.asc"])(
    "%s is not",
    (p) => expect(looksSecretFile(p)).toBe(false),
  );
});

describe("redactedValues", () => {
  it("gives back every value redactParams hid, at any depth, numbers as text", () => {
    const params = { lr: 0.1, api_key: "FAKEkey1", model: { password: "FAKEpw22", layers: [{ token: 12345 }] }, note: "ok" };
    expect(redactedValues(params, redactParams(params).value).sort()).toEqual(["12345", "FAKEkey1", "FAKEpw22"]);
  });
});

describe("looksSecretContent", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlx-secret-content-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it.each([
    ["an OpenSSH private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n", true],
    ["a PEM RSA private key after a comment", "# deploy\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n", true],
    ["a PGP private key block", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n", true],
    ["a public key", "-----BEGIN PUBLIC KEY-----\nMIIB\n", false],
    ["a certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n", false],
    ["plain text", "lr=0.1\n", false],
  ])("%s: %s", async (_name, text, expected) => {
    const path = join(dir, `f-${_name.replace(/\W/g, "")}`);
    writeFileSync(path, text);
    expect(await looksSecretContent(path)).toBe(expected);
  });

  it("never follows a link, and says no for what cannot be read", async () => {
    const key = join(dir, "real-key");
    writeFileSync(key, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    symlinkSync(key, join(dir, "link"));
    expect(await looksSecretContent(join(dir, "link"))).toBe(false);
    expect(await looksSecretContent(join(dir, "missing"))).toBe(false);
  });
});
