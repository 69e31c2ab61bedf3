// Shared by the JS SDK tests: a clean AWS environment, the server to talk to, and clients.
//
// Server: HIL_SDK_ENDPOINT (a server already started with fixtures/sdk-scenario.json) if set,
// otherwise a fresh HIL_BINARY on an ephemeral port with that fixture, stopped by stop().
// A suite that needs other flags or fixtures (start_server({ flags, fixtures })) always gets a
// fresh HIL_BINARY of its own, since a server someone else started cannot be reconfigured.
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import readline from "node:readline";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";

import { GetDICOMImportJobCommand, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";

// The SDK module this harness's clients come from, for suites outside this package (tests/ui):
// their commands must be of the same copy as the client.
export * as sdk from "@aws-sdk/client-medical-imaging";

// Nothing from the machine may steer the SDK (profiles, real keys, retry or endpoint settings,
// instance metadata): drop every AWS_ variable and set only dummy ones.
for (const name of Object.keys(process.env)) {
  if (name.startsWith("AWS_")) delete process.env[name];
}
Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  AWS_REGION: "us-east-1",
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  AWS_EC2_METADATA_DISABLED: "true",
});

const here = path.dirname(fileURLToPath(import.meta.url));
export const fixture_path = path.resolve(here, "../fixtures/sdk-scenario.json");

// The JS suite's own data store in the fixture; the Python suite uses another one.
export const datastore_id = "sdkjsdatastore000000000000000001";

export const dummy_credentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

const startup_timeout_ms = 15_000;
const shutdown_timeout_ms = 15_000;

// Whether start_server() can start a server of its own (with flags or fixtures of the suite's).
export const can_start_server = () => Boolean(process.env.HIL_BINARY);

// `flags`: extra command-line arguments (["--auth", "sigv4"]); `fixtures`: a fixture path, or a
// list of them, instead of fixtures/sdk-scenario.json ([]: the built-in sample). Either one
// means a server of its own.
export async function start_server({ flags = [], fixtures } = {}) {
  const own = flags.length > 0 || fixtures !== undefined;
  const given = process.env.HIL_SDK_ENDPOINT;
  if (given && !own) return { endpoint: given.replace(/\/+$/, ""), stop: async () => {} };

  const binary = process.env.HIL_BINARY;
  if (!binary) {
    throw new Error(own ? "a server with its own flags or fixtures needs HIL_BINARY (the healthimaging-local executable)"
                        : "set HIL_BINARY (the healthimaging-local executable) or HIL_SDK_ENDPOINT");
  }
  const fixture_args = [fixtures ?? fixture_path].flat().flatMap((f) => ["--fixtures", f]);
  const child = spawn(binary, ["--port", "0", ...fixture_args, ...flags], { stdio: ["ignore", "pipe", "inherit"] });
  // The reader keeps consuming stdout for the server's whole life, so the pipe never fills up.
  const lines = readline.createInterface({ input: child.stdout });
  const endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${binary} printed no 'listening on' line in ${startup_timeout_ms} ms`)),
                             startup_timeout_ms);
    lines.on("line", (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("error", (e) => { clearTimeout(timer); reject(e); });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${binary} exited (${code ?? signal}) before listening`));
    });
  });

  async function stop() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), shutdown_timeout_ms);
    const [code, signal] = await exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`server did not exit cleanly on SIGTERM (${code ?? signal})`);
  }
  return { endpoint, stop };
}

// A client aimed at the emulator the way a user would do it: explicit endpoint, region, keys.
export function make_client(endpoint, extra = {}) {
  return new MedicalImagingClient({ endpoint, region: "us-east-1", credentials: dummy_credentials, ...extra });
}

// Registers before/after hooks in the calling test file (or describe block): start_server() before
// its first test, stop() after its last. With `client` (options for make_client, {} for none) it
// also makes one client there and destroys it before the server stops. `flags` and `fixtures` go
// to start_server(). The returned object gets `endpoint` and `client` once the before hook has run.
export function use_server({ client, flags, fixtures } = {}) {
  const handle = {};
  let server;
  before(async () => {
    server = await start_server({ flags, fixtures });
    handle.endpoint = server.endpoint;
    if (client) handle.client = make_client(server.endpoint, client);
  });
  after(async () => {
    handle.client?.destroy();
    await server?.stop();
  });
  return handle;
}

export const get_job = (client, jobId) =>
  client.send(new GetDICOMImportJobCommand({ datastoreId: datastore_id, jobId }));
