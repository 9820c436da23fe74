// What a careless researcher must never publish: secrets on the command line, in params and in files.
// Capture runs for real (captureRun, a real git repository, a real child process); nothing is mocked.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BadInputError } from "../../src/errors.js";
import { checkIncluded } from "../../src/pack/check-paths.js";
import { selectRuns } from "../../src/replay/select-runs.js";
import { captureIn } from "../helpers/capture-in.js";
import { gitIn, makeRepo, writeFiles } from "../helpers/git-repo.js";

/** Every byte of every file below `dir`, as one latin1 string: what a grep of the record folder sees. */
function allBytes(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile())
    .map((p) => readFileSync(p, "latin1"))
    .join("\n");
}

const FAKES = ["FAKEaws0secret", "FAKEbearer0token", "FAKEjson0password", "FAKEparam0apikey", "FAKEnested0token", "FAKEbasic0pw"];

describe("capture: secrets never reach the record", () => {
  it("redacts NAME=value, headers and JSON arguments and secret params, in the logs too; replay then refuses the run", async () => {
    // The command prints the params it got, secrets included, on both streams: the logs mlx keeps must not.
    const script = "console.log('acc=0.5'); console.log(process.env.MLX_PARAMS); console.error(process.env.MLX_PARAMS)\n";
    await using repo = await makeRepo({ "run.js": script });
    const basic = Buffer.from(`alice:${FAKES[5]}`).toString("base64");
    const argv = [
      "node",
      "run.js",
      `AWS_SECRET_ACCESS_KEY=${FAKES[0]}`,
      "-H",
      `Authorization: Bearer ${FAKES[1]}`,
      `{"user":"u","password":"${FAKES[2]}"}`,
      `Basic ${basic}`,
      "--lr=0.1",
    ];
    const run = await captureIn(repo.path, argv, {
      param: [`api_key=${FAKES[3]}`, "epochs=3"],
      params: JSON.stringify({ model: { hf_token: FAKES[4], layers: 2 } }),
    });
    expect(run.exitCode).toBe(0);
    const bytes = allBytes(run.folder);
    for (const fake of [...FAKES, basic]) expect(bytes).not.toContain(fake);
    expect(run.manifest.command.argv).toEqual([
      "node",
      "run.js",
      "AWS_SECRET_ACCESS_KEY=***",
      "-H",
      "Authorization: ***",
      '{"user":"u","password":"***"}',
      "Basic ***",
      "--lr=0.1",
    ]);
    expect(run.manifest.command.redactedArgs).toEqual([2, 4, 5, 6]);
    expect(run.manifest.params).toEqual({ model: { hf_token: "***", layers: 2 }, api_key: "***", epochs: 3 });
    expect(run.manifest.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^param api_key looks secret/), expect.stringMatching(/^param model.hf_token looks/)]),
    );
    // A run with only its params redacted is refused too: replay cannot supply the value.
    const paramsOnly = { ...run.manifest, command: { ...run.manifest.command, redactedArgs: [] } };
    expect(() => selectRuns([paramsOnly], null, "best")).toThrow(
      /recorded params of run .* have redacted secrets \(model.hf_token, api_key\)/,
    );
  });

  it("leaves untracked secret files out of the patch and warns about committed ones", async () => {
    await using repo = await makeRepo({ "run.js": "\n", "deploy/prod.tfvars": 'password = "FAKEcommitted"\n' });
    const secrets = {
      ".git-credentials": "https://u:FAKEgitcred@github.com\n",
      ".pgpass": "h:5432:db:u:FAKEpgpass\n",
      ".envrc": "export TOKEN=FAKEenvrc\n",
      ".dockercfg": '{"auth":"FAKEdockercfg"}\n',
      ".docker/config.json": '{"auths":{"r":{"auth":"FAKEdockerconfig"}}}\n',
      ".htpasswd": "u:FAKEhtpasswd\n",
      kubeconfig: "token: FAKEkubeconfig\n",
      deploy_key: "FAKEdeploykey\n",
      "terraform.tfvars": 'key = "FAKEtfvars"\n',
      "token.txt": "FAKEtokentxt\n",
      ".ssh/id_work": "FAKEsshkey\n",
      ".aws/credentials": "aws_secret_access_key = FAKEawscred\n",
      // A name that says nothing: its content, a private key, does.
      mykey: "-----BEGIN OPENSSH PRIVATE KEY-----\nFAKEopensshkey\n-----END OPENSSH PRIVATE KEY-----\n",
    };
    writeFiles(repo.path, { ...secrets, "notes.txt": "kept\n" });
    const run = await captureIn(repo.path, ["node", "run.js"]);
    const patch = readFileSync(join(run.folder, "git.patch"), "latin1");
    expect(patch).toContain("notes.txt");
    for (const text of Object.values(secrets)) expect(patch).not.toContain(/FAKE\w+/.exec(text)![0]);
    expect(run.manifest.git).toMatchObject({ available: true, dirty: true });
    const excluded = run.manifest.git?.available ? run.manifest.git.excluded.map((e) => e.path) : [];
    expect(excluded.sort()).toEqual(Object.keys(secrets).sort());
    expect(run.manifest.warnings).toContain(
      "committed deploy/prod.tfvars looks like a secret: it is in the git history already; pack leaves it out of the image and bundle",
    );
  });

  it("refuses `pack --include .git` and anything under it (exit 2)", async () => {
    await using repo = await makeRepo();
    gitIn(repo.path, "remote", "add", "origin", "https://alice:FAKEremote@example.com/r.git");
    for (const given of [".git", ".git/config", "./.git/", "sub/.git"]) {
      const error: unknown = await checkIncluded(repo.path, repo.path, given).catch((e: unknown) => e);
      expect(error, given).toBeInstanceOf(BadInputError);
      expect((error as BadInputError).message).toMatch(/git's own folder is never packed/);
    }
  });
});

describe("capture: inputs checked before the command starts", () => {
  it("refuses a metrics file outside the repository or the working folder with exit 2, runs nothing, writes no record", async () => {
    await using repo = await makeRepo({ "sub/run.js": "require('fs').writeFileSync(process.argv[2], 'ran')\n" });
    for (const file of ["/tmp/elsewhere.json", "../../outside.json", "../up.json"]) {
      const marker = join(repo.path, "sub", "ran.txt");
      const error: unknown = await captureIn(join(repo.path, "sub"), ["node", "run.js", marker], { metricsFile: [file] }).catch(
        (e: unknown) => e,
      );
      expect(error, file).toBeInstanceOf(BadInputError);
      expect((error as BadInputError).exitCode).toBe(2);
      expect((error as BadInputError).message).toMatch(/^--metrics-file .* is outside the (repository root|working folder)/);
      expect(() => statSync(marker)).toThrow();
      expect(() => readdirSync(join(repo.path, ".mlx", "runs"))).toThrow();
    }
  });
});
