import { describe, expect, it } from "vitest";
import type { ContainerSpec } from "./docker-client.js";
import { renderContainerConfig, REPLAY_USER, startFailure } from "./container-config.js";
import { splitImageRef } from "./docker-client.js";

const spec: ContainerSpec = {
  imageId: "sha256:abc",
  argv: ["node", "train.js", "--lr", "0.1"],
  workdir: "/app",
  env: { MLX_SEED: "7", HOME: "/tmp" },
  binds: ["/host/data:/app/data:ro"],
  network: false,
  cpus: 1.5,
  memoryBytes: 2 * 1024 ** 3,
  pidsLimit: 1024,
  gpus: null,
  keep: false,
  labels: { "org.mlx.replay-of": "r1" },
  timeoutMs: 60_000,
  fileSizeBytes: 1024 ** 3,
};

describe("renderContainerConfig", () => {
  const config = renderContainerConfig(spec);
  it.each([
    ["drops every capability", config.HostConfig?.CapDrop, ["ALL"]],
    ["forbids regaining privileges", config.HostConfig?.SecurityOpt, ["no-new-privileges"]],
    ["keeps the root filesystem read-only", config.HostConfig?.ReadonlyRootfs, true],
    ["is never privileged", config.HostConfig?.Privileged, false],
    ["runs as nobody", config.User, "65534:65534"],
    ["has no network mode", config.HostConfig?.NetworkMode, "none"],
    ["has its network disabled", config.NetworkDisabled, true],
    ["mounts /tmp noexec, nosuid, nodev", config.HostConfig?.Tmpfs, { "/tmp": "rw,noexec,nosuid,nodev,size=1g" }],
    ["limits processes", config.HostConfig?.PidsLimit, 1024],
    ["limits memory", config.HostConfig?.Memory, 2 * 1024 ** 3],
    ["allows no swap beyond the memory limit", config.HostConfig?.MemorySwap, 2 * 1024 ** 3],
    ["limits CPUs in billionths", config.HostConfig?.NanoCpus, 1_500_000_000],
    ["asks for no GPU", config.HostConfig?.DeviceRequests, undefined],
    ["sets an explicit entrypoint: the image's own never runs first", config.Entrypoint, ["node"]],
    ["passes the rest of argv as the command", config.Cmd, ["train.js", "--lr", "0.1"]],
    ["runs in the recorded folder", config.WorkingDir, "/app"],
    ["passes the environment as KEY=value", config.Env, ["MLX_SEED=7", "HOME=/tmp"]],
    ["mounts the binds", config.HostConfig?.Binds, ["/host/data:/app/data:ro"]],
    ["runs the image by id", config.Image, "sha256:abc"],
  ])("%s", (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it("uses the one replay user", () => {
    expect(config.User).toBe(REPLAY_USER);
  });

  it.each([
    [
      "--network: a bridge network",
      { network: true },
      { NetworkDisabled: false, HostConfig: expect.objectContaining({ NetworkMode: "bridge" }) },
    ],
    [
      "--gpus all: every GPU",
      { gpus: "all" as const },
      { HostConfig: expect.objectContaining({ DeviceRequests: [{ Driver: "", Count: -1, Capabilities: [["gpu"]] }] }) },
    ],
    [
      "--gpus 2: two GPUs",
      { gpus: 2 },
      { HostConfig: expect.objectContaining({ DeviceRequests: [{ Driver: "", Count: 2, Capabilities: [["gpu"]] }] }) },
    ],
  ])("gives %s, hardened still", (_name, change, expected) => {
    const given = renderContainerConfig({ ...spec, ...change });
    expect(given).toMatchObject(expected);
    expect(given.HostConfig).toMatchObject({ CapDrop: ["ALL"], ReadonlyRootfs: true, Privileged: false });
  });

  it("refuses a spec without a command", () => {
    expect(() => renderContainerConfig({ ...spec, argv: [] })).toThrow(/needs a command/);
  });
});

describe("splitImageRef", () => {
  it.each([
    ["node:20.11.1-bookworm-slim", { repo: "node", tag: "20.11.1-bookworm-slim" }],
    ["node", { repo: "node", tag: "latest" }],
    ["localhost:5000/team/base", { repo: "localhost:5000/team/base", tag: "latest" }],
    ["localhost:5000/team/base:v1", { repo: "localhost:5000/team/base", tag: "v1" }],
  ])("splits %s", (ref, expected) => {
    expect(splitImageRef(ref)).toEqual(expected);
  });
});

describe("startFailure", () => {
  it("caps every file the container writes", () => {
    expect(renderContainerConfig(spec).HostConfig?.Ulimits).toEqual([{ Name: "fsize", Soft: 1024 ** 3, Hard: 1024 ** 3 }]);
  });

  it.each<[string, string, string | null]>([
    [
      "a program not on PATH",
      "OCI runtime create failed: runc create failed: unable to start container process: " +
        'exec: "nosuch": executable file not found in $PATH: unknown',
      'the bundle\'s command "nosuch" is not in its image',
    ],
    [
      "a path that does not exist",
      'unable to start container process: exec: "/bin/nosuch": stat /bin/nosuch: no such file or directory: unknown',
      'the bundle\'s command "nosuch" is not in its image',
    ],
    ["anything else", 'could not select device driver "" with capabilities: [[gpu]]', null],
  ])("%s", (_name, message, expected) => {
    const error = startFailure(message, "nosuch");
    expect(error?.message ?? null).toBe(expected);
    if (error) expect(error.exitCode).toBe(2);
  });
});
