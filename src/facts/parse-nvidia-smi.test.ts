import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gpuInfoFrom, parseGpuQuery } from "./parse-nvidia-smi.js";

const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/nvidia-smi/${name}`, import.meta.url), "utf8");
const machine = (name: string) => gpuInfoFrom(fixture(`${name}.query.csv`), fixture(`${name}.banner.txt`));

describe("nvidia-smi parsing", () => {
  it("reads one GPU, driver and CUDA from a 2020 driver", () => {
    expect(machine("titan-450")).toEqual({
      devices: [{ index: 0, name: "TITAN Xp", uuid: "GPU-3f1c2a9e-0b7d-4e51-9a2c-6d8e1f4b7c20", memoryMiB: 12196 }],
      driver: "450.57",
      cuda: "11.0",
    });
  });

  it("reads a real H200 host's output (recorded on it, driver 580.159.04, CUDA 13.0)", () => {
    expect(machine("h200-580-real")).toEqual({
      devices: [{ index: 0, name: "NVIDIA H200", uuid: "GPU-9d59fafc-72a3-4807-b3a3-bd1231fb50b5", memoryMiB: 143771 }],
      driver: "580.159.04",
      cuda: "13.0",
    });
  });

  it("reads every GPU of a multi-GPU host in the wide layout", () => {
    const info = machine("a100x2-580");
    expect(info.devices.map((d) => [d.index, d.name, d.memoryMiB])).toEqual([
      [0, "NVIDIA A100-SXM4-40GB", 40960],
      [1, "NVIDIA A100-SXM4-40GB", 40960],
    ]);
    expect([info.driver, info.cuda]).toEqual(["580.126.09", "13.0"]);
  });

  it("reads the renamed KMD / CUDA UMD fields of driver 610", () => {
    const info = machine("b200-610");
    expect([info.devices[0]?.name, info.devices[0]?.memoryMiB, info.driver, info.cuda]).toEqual([
      "NVIDIA B200",
      183359,
      "610.43.02",
      "13.3",
    ]);
  });

  it("leaves cuda out when an old driver prints none, and drops an [N/A] uuid", () => {
    const info = machine("gtx680-331");
    expect(info.cuda).toBeUndefined();
    expect(info.driver).toBe("331.62");
    expect(info.devices[0]).toEqual({ index: 0, name: "GeForce GTX 680", memoryMiB: 4095 });
  });

  it("falls back to the banner's driver when the query has none", () => {
    expect(gpuInfoFrom("0, X, [N/A], 100, [N/A]\n", fixture("b200-610.banner.txt")).driver).toBe("610.43.02");
  });

  it("refuses output that is not the query's CSV", () => {
    expect(() => parseGpuQuery("No devices were found\n")).toThrow(/unexpected nvidia-smi line/);
  });
});
