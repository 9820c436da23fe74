import { describe, expect, it } from "vitest";
import { renderDockerignore } from "./build-context.js";

const ALWAYS = ["# Written by mlx pack: never send these to a builder.", ".git", ".mlx", "**/.env", "**/.npmrc"];

describe("renderDockerignore", () => {
  it.each([
    ["no secret found", [], ALWAYS],
    ["one secret file", ["id_rsa"], [...ALWAYS, "id_rsa"]],
    [
      "secrets in folders, in the order found",
      ["config/.env.local", "keys/server.pem"],
      [...ALWAYS, "config/.env.local", "keys/server.pem"],
    ],
  ])("keeps git, mlx state and credentials out, plus the secrets found: %s", (_, secrets, lines) => {
    expect(renderDockerignore(secrets)).toBe(lines.join("\n") + "\n");
  });
});
