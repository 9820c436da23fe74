import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gpuInfoFrom } from "../facts/parse-nvidia-smi.js";
import { createGpuSlots, cudaVisibleDevices, validateGpusPerTrial } from "./gpu-slots.js";

const fixture = (name: string): number[] => {
  const dir = new URL("../../test/fixtures/nvidia-smi/", import.meta.url);
  const info = gpuInfoFrom(
    readFileSync(new URL(`${name}.query.csv`, dir), "utf8"),
    readFileSync(new URL(`${name}.banner.txt`, dir), "utf8"),
  );
  return info.devices.map((d) => d.index);
};

/** Takes slots until none is left: what each trial got. */
function drain(devices: number[], gpusPerTrial: number): number[][] {
  const slots = createGpuSlots(devices, gpusPerTrial, "test");
  const got: number[][] = [];
  for (let d = slots.acquire(); d !== null; d = slots.acquire()) got.push([...d]);
  expect(got).toHaveLength(slots.capacity);
  return got;
}

describe("GPU slots over the GPUs nvidia-smi reports", () => {
  it.each<[string, string, number, number[][]]>([
    ["one GPU each on four H200s", "h200x4-580", 1, [[0], [1], [2], [3]]],
    [
      "two GPUs each: disjoint pairs",
      "h200x4-580",
      2,
      [
        [0, 1],
        [2, 3],
      ],
    ],
    ["three GPUs each: one trial, one GPU idle", "h200x4-580", 3, [[0, 1, 2]]],
    ["half a GPU: two trials on each, spread first", "h200x4-580", 0.5, [[0], [1], [2], [3], [0], [1], [2], [3]]],
    ["a third of a GPU on two A100s", "a100x2-580", 1 / 3, [[0], [1], [0], [1], [0], [1]]],
    ["0.3: three a GPU, the rest unused", "h200-580-real", 0.3, [[0], [0], [0]]],
    ["0.1 counts ten, despite binary fractions", "h200-580-real", 0.1, Array.from({ length: 10 }, () => [0])],
  ])("%s", (_, fixtureName, gpusPerTrial, expected) => {
    expect(drain(fixture(fixtureName), gpusPerTrial)).toEqual(expected);
  });

  it("hands a released GPU to the next trial, and never oversubscribes one", () => {
    const slots = createGpuSlots(fixture("h200x4-580"), 2, "test");
    const a = slots.acquire()!;
    const b = slots.acquire()!;
    expect(slots.acquire()).toBeNull();
    slots.release(a);
    expect(slots.acquire()).toEqual(a);
    expect(slots.acquire()).toBeNull();
    expect(cudaVisibleDevices(b)).toEqual({ CUDA_VISIBLE_DEVICES: "2,3" });
  });

  it("refuses GPUs on a host without any (exit 3), and more GPUs per trial than the host has (exit 2)", () => {
    expect(() => createGpuSlots([], 1, "nvidia-smi not found on PATH")).toThrow(
      expect.objectContaining({ exitCode: 3, message: expect.stringMatching(/no GPU \(nvidia-smi not found/) }),
    );
    expect(() => createGpuSlots(fixture("a100x2-580"), 4, "test")).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it.each([[-1], [1.5], [NaN]])("refuses gpus_per_trial %s", (value) => {
    expect(() => validateGpusPerTrial(value, "s.yaml")).toThrow(/gpus_per_trial/);
  });
});
