import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTrialWorkdir } from "./trial-workdir.js";

const made: string[] = [];
afterEach(() => made.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tree(): { top: string; root: string; dest: string } {
  const top = mkdtempSync(join(tmpdir(), "mlx-workdir-"));
  made.push(top);
  const root = join(top, "repo");
  mkdirSync(join(root, "data"), { recursive: true });
  mkdirSync(join(root, "nested", ".git"), { recursive: true });
  writeFileSync(join(root, "train.py"), "print(1)\n");
  writeFileSync(join(root, "data", "big.bin"), "0123456789");
  writeFileSync(join(root, "nested", ".git", "HEAD"), "ref: refs/heads/main\n");
  writeFileSync(join(root, "nested", "a.txt"), "a\n");
  writeFileSync(join(top, "outside.txt"), "outside\n");
  symlinkSync(join(root, "train.py"), join(root, "abs-in")); // absolute, into the tree
  symlinkSync("../outside.txt", join(root, "rel-out")); // relative, out of the tree
  symlinkSync("train.py", join(root, "rel-in"));
  return { top, root, dest: join(root, ".mlx", "work", "g", "0-0") };
}

describe("createTrialWorkdir", () => {
  it("points links into the tree at the copy, links out of it at their original target, and never copies a .git", async () => {
    const { top, root, dest } = tree();
    await createTrialWorkdir(root, ["train.py", "abs-in", "rel-out", "rel-in", "nested"], [], dest);
    expect(resolve(dest, readlinkSync(join(dest, "abs-in")))).toBe(join(dest, "train.py"));
    expect(readlinkSync(join(dest, "rel-in"))).toBe("train.py");
    expect(readlinkSync(join(dest, "rel-out"))).toBe(join(top, "outside.txt"));
    expect(readFileSync(join(dest, "rel-out"), "utf8")).toBe("outside\n");
    expect(existsSync(join(dest, "nested", "a.txt"))).toBe(true);
    expect(existsSync(join(dest, "nested", ".git"))).toBe(false);
  });

  it("hard-links a declared input even when git lists its files, and links nothing for an input outside the tree", async () => {
    const { top, root, dest } = tree();
    await createTrialWorkdir(root, ["train.py", "data/big.bin"], ["data", "../outside.txt"], dest);
    expect(statSync(join(dest, "data", "big.bin")).ino).toBe(statSync(join(root, "data", "big.bin")).ino);
    expect(existsSync(join(dest, "..", "outside.txt"))).toBe(false);
    expect(existsSync(join(root, ".mlx", "work", "g", "outside.txt"))).toBe(false);
    expect(readFileSync(join(top, "outside.txt"), "utf8")).toBe("outside\n");
  });
});
