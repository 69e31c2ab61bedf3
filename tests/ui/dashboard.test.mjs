// The dashboard (GET /_emulator/ui) in a real browser: Debian's headless Chromium driven by
// playwright-core, against the real binary (HIL_BINARY) on an ephemeral port. Any console
// error, uncaught page error, failed request or error answer the page did not expect fails the
// test. With HIL_UI_SCREENSHOTS=DIR the main views are saved there as PNG (docs/ holds them).
//
// Chromium comes from the system (/usr/bin/chromium, or HIL_CHROMIUM); the test never downloads
// one. Without it, or without HIL_BINARY, the suites are skipped (ctest sees exit code 77).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { can_start_server, dummy_credentials, sdk, start_server } from "../sdk/js/harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const chromium_path = process.env.HIL_CHROMIUM || "/usr/bin/chromium";
const screenshots = process.env.HIL_UI_SCREENSHOTS;
const sample = JSON.parse(fs.readFileSync(path.resolve(here, "../../fixtures/sample.json"), "utf8"));
const pydicom_files = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

const skip = !fs.existsSync(chromium_path) ? `no Chromium at ${chromium_path} (Debian's chromium package)`
           : !can_start_server() ? "needs HIL_BINARY" : false;
// ctest's SKIP_RETURN_CODE, so a missing browser shows as skipped; CI sets HIL_REQUIRE_UI=1, where a
// missing browser is a failure (a skip would let it pass without the browser test).
if (skip) process.exitCode = process.env.HIL_REQUIRE_UI === "1" ? 1 : 77;
if (skip && process.env.HIL_REQUIRE_UI === "1") console.error(`HIL_REQUIRE_UI=1 but ${skip}`);

// The flags that keep Chromium from reaching out: the machine's network is closed, and a
// browser waiting on refused connections stalls.
const chromium_args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
  "--disable-extensions", "--no-default-browser-check"];

// One browser (with a fresh profile) per suite; each page records everything that went wrong.
function use_browser() {
  const handle = {};
  let profile;
  before(async () => {
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "hil-ui-chromium-"));
    handle.context = await chromium.launchPersistentContext(profile, {
      executablePath: chromium_path, headless: true, args: chromium_args, viewport: { width: 1280, height: 860 },
    });
  });
  after(async () => {
    await handle.context?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });
  return handle;
}

// A page that records console errors, page errors, failed requests and error answers.
// `problems()` is what went wrong that no `allow(pattern)` call expected (a test allows what it provokes).
async function open_page(context, url, { wait_ready = true } = {}) {
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme: "light" });
  const seen = [];
  const allowed = [];
  page.on("console", (m) => { if (m.type() === "error") seen.push(`console error: ${m.text()} (${m.location().url})`); });
  page.on("pageerror", (e) => seen.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => seen.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => { if (r.status() >= 400) seen.push(`answer ${r.status()}: ${r.request().method()} ${r.url()}`); });
  const response = await page.goto(url);
  if (wait_ready) await page.waitForSelector("body[data-ready=true]", { timeout: 10_000 });
  return {
    page, response,
    problems: () => seen.filter((p) => !allowed.some((a) => a.test(p))),
    allow: (pattern) => allowed.push(pattern),
  };
}

async function shoot(page, name) {
  if (!screenshots) return;
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: false });
}

const client_for = (endpoint) => new sdk.MedicalImagingClient({
  endpoint, region: "us-east-1", credentials: dummy_credentials, maxAttempts: 1,
});

async function confirm_yes(page) {
  await page.locator("#confirm-dialog").waitFor({ state: "visible" });
  await page.locator("#confirm-dialog button[value=yes]").click();
  await page.locator("#confirm-dialog").waitFor({ state: "hidden" });
}

describe("the dashboard, with the built-in sample fixtures", { skip }, () => {
  const browser = use_browser();
  let server, client, page, problems, allow;
  before(async () => {
    server = await start_server({ fixtures: [] });
    client = client_for(server.endpoint);
    ({ page, problems, allow } = await open_page(browser.context, `${server.endpoint}/_emulator/ui`));
  });
  after(async () => {
    client?.destroy();
    await server?.stop();
  });

  test("is served from the binary with a strict policy and no cache surprises", async () => {
    const res = await fetch(`${server.endpoint}/_emulator/ui`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/html/);
    assert.match(res.headers.get("content-security-policy"), /default-src 'none'.*script-src 'self'/);
    assert.equal(res.headers.get("cache-control"), "no-cache");
    const etag = res.headers.get("etag");
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    const again = await fetch(`${server.endpoint}/_emulator/ui`, { headers: { "If-None-Match": etag } });
    assert.equal(again.status, 304);
    const script = await fetch(`${server.endpoint}/_emulator/ui/app.js`);
    assert.match(script.headers.get("content-type"), /^text\/javascript/);
    assert.equal((await fetch(`${server.endpoint}/_emulator/ui/nothing.js`)).status, 404);
  });

  test("lists the datastores and jobs of the fixtures", async () => {
    const datastores = page.locator("#datastores tbody");
    for (const d of sample.datastores) {
      await datastores.getByText(d.datastoreName, { exact: true }).waitFor();
      await datastores.getByText(d.datastoreId).waitFor();
    }
    const jobs = page.locator("#jobs tbody");
    for (const j of sample.jobs) {
      const row = jobs.locator("tr", { hasText: j.jobId });
      await row.getByText(j.jobName, { exact: true }).waitFor();
    }
    assert.equal(await jobs.locator("tr").count(), sample.jobs.length);
    await shoot(page, "dashboard-overview");
    await page.emulateMedia({ colorScheme: "dark" });
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(background, "rgb(255, 255, 255)", "the dark scheme has a dark background");
    await shoot(page, "dashboard-overview-dark");
    await page.emulateMedia({ colorScheme: "light" });
    assert.deepEqual(problems(), []);
  });

  test("is keyboard operable: the views are links, focus moves to the view's heading", async () => {
    await page.focus("nav a[data-view=faults]");
    await page.keyboard.press("Enter");
    await page.locator("#view-faults").waitFor({ state: "visible" });
    assert.equal(await page.evaluate(() => document.activeElement.id), "faults-title");
    await page.focus("nav a[data-view=overview]");
    await page.keyboard.press("Enter");
    await page.locator("#view-overview").waitFor({ state: "visible" });
    assert.deepEqual(problems(), []);
  });

  test("shows a request the SDK made in the journal, and opens it", async () => {
    const d = sample.datastores[0];
    await client.send(new sdk.GetDatastoreCommand({ datastoreId: d.datastoreId }));
    await page.click("nav a[data-view=journal]");
    const row = page.locator("#journal tbody tr", { hasText: "GetDatastore" });
    await row.waitFor();
    await page.fill("#journal-filter input[name=id]", d.datastoreId);
    await page.fill("#journal-filter input[name=status]", "200");
    await row.getByRole("button").click();
    const dialog = page.locator("#request-dialog");
    await dialog.waitFor({ state: "visible" });
    await page.locator("#request-head").getByText(`GET /datastore/${d.datastoreId} HTTP/1.1`).waitFor();
    assert.match(await page.locator("#request-head").textContent(), /authorization: AWS4-HMAC-SHA256/i);
    assert.match(await page.locator("#response-head").textContent(), /^HTTP\/1\.1 200 OK/);
    assert.match(await page.locator("#response-body").textContent(), new RegExp(`"datastoreName": "${d.datastoreName}"`));
    await shoot(page, "dashboard-journal");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await page.fill("#journal-filter input[name=id]", "");
    await page.fill("#journal-filter input[name=status]", "");
    assert.deepEqual(problems(), []);
  });

  test("adds a fault rule through the form, shows its budget being spent, edits and removes it", async () => {
    const d = sample.datastores[0];
    await page.click("nav a[data-view=faults]");
    await page.click("#fault-add");
    const form = page.locator("#fault-form");
    await form.waitFor({ state: "visible" });
    await form.locator("input[name=id]").fill("ui-throttle");
    await form.locator("input[name=operation]").fill("GetDatastore");
    await form.locator("select[name=error]").selectOption("ThrottlingException");
    await form.locator("input[name=times]").fill("2");
    await form.locator("button[value=save]").click();
    await form.waitFor({ state: "hidden" });
    const row = page.locator("#faults tbody tr", { hasText: "ui-throttle" });
    await row.getByText("2 times left").waitFor();

    await assert.rejects(client.send(new sdk.GetDatastoreCommand({ datastoreId: d.datastoreId })),
                         (e) => e.name === "ThrottlingException");
    await row.getByText("1 time left").waitFor();
    assert.equal(await row.locator("td").nth(3).textContent(), "1");
    await shoot(page, "dashboard-faults");

    await row.getByRole("button", { name: "Edit fault rule ui-throttle" }).click();
    await form.waitFor({ state: "visible" });
    await form.locator("input[name=times]").fill("5");
    await form.locator("input[name=message]").fill("slow down, from the dashboard");
    await form.locator("button[value=save]").click();
    await form.waitFor({ state: "hidden" });
    await row.getByText("5 times left").waitFor();
    await row.getByText(/slow down, from the dashboard/).waitFor();
    const { faults } = await (await fetch(`${server.endpoint}/_emulator/faults`)).json();
    assert.deepEqual(faults.map((f) => [f.id, f.times, f.fired]), [["ui-throttle", 5, 1]]);

    // A bad rule is refused with the server's reason, and the form stays open.
    await page.click("#fault-add");
    await form.locator("input[name=operation]").fill("NoSuchOperation");
    await form.locator("select[name=error]").selectOption("ThrottlingException");
    // Chromium logs the 400 it was given: that one is provoked.
    allow(/^answer 400: POST .*\/_emulator\/faults$/);
    allow(/^console error: .*status of 400.*\/_emulator\/faults\)$/);
    await form.locator("button[value=save]").click();
    await page.locator("#fault-error").getByText(/NoSuchOperation/).waitFor();
    await page.click("#fault-cancel");

    await row.getByRole("button", { name: "Delete fault rule ui-throttle" }).click();
    await confirm_yes(page);
    await row.waitFor({ state: "detached" });
    await page.locator("#faults tbody").getByText(/No fault rule/).waitFor();
    assert.deepEqual(problems(), []);
  });

  test("resets: a datastore made since start-up goes, the journal empties", async () => {
    const made = await client.send(new sdk.CreateDatastoreCommand({ datastoreName: "made-from-the-sdk", clientToken: "ui-test-0001" }));
    await page.click("nav a[data-view=overview]");
    await page.locator("#datastores tbody").getByText("made-from-the-sdk").waitFor();
    await page.click("#reset");
    await confirm_yes(page);
    await page.locator("#notice").getByText(/^Reset:/).waitFor();
    await page.locator("#datastores tbody").getByText("made-from-the-sdk").waitFor({ state: "detached" });
    assert.equal(await page.locator("#datastores tbody tr").count(), sample.datastores.length);
    const { requests } = await (await fetch(`${server.endpoint}/_emulator/requests`)).json();
    assert.deepEqual(requests, []);
    await page.click("nav a[data-view=journal]");
    await page.locator("#journal tbody").getByText(/No API call yet/).waitFor();
    assert.ok(made.datastoreId);
    assert.deepEqual(problems(), []);
  });
});

describe("the dashboard with --admin-token", { skip }, () => {
  const browser = use_browser();
  let server;
  before(async () => { server = await start_server({ fixtures: [], flags: ["--admin-token", "ui-secret-token"] }); });
  after(async () => { await server?.stop(); });

  test("the page is open, the data is not; the form asks for the token once and it unlocks", async () => {
    assert.equal((await fetch(`${server.endpoint}/_emulator/ui`)).status, 200);
    assert.equal((await fetch(`${server.endpoint}/_emulator/state`)).status, 401);
    const { page, problems } = await open_page(browser.context, `${server.endpoint}/_emulator/ui`, { wait_ready: false });
    const dialog = page.locator("#token-dialog");
    await dialog.waitFor({ state: "visible" });
    await shoot(page, "dashboard-token");
    await dialog.locator("input[name=token]").fill("ui-secret-token");
    await dialog.locator("button[type=submit]").click();
    await dialog.waitFor({ state: "hidden" });
    await page.locator("#datastores tbody").getByText(sample.datastores[0].datastoreName).waitFor();
    // Another view's calls carry the kept token: no second question.
    await page.click("nav a[data-view=faults]");
    await page.locator("#faults tbody tr").first().waitFor();
    assert.equal(await dialog.isVisible(), false);
    assert.deepEqual(problems(), []);
  });
});

describe("the dashboard with --no-admin", { skip }, () => {
  test("is not served, like the rest of the control API", async () => {
    const server = await start_server({ fixtures: [], flags: ["--no-admin"] });
    try {
      const res = await fetch(`${server.endpoint}/_emulator/ui`);
      assert.equal(res.status, 404);
      assert.equal(res.headers.get("x-amzn-ErrorType"), "UnknownOperationException");
    } finally {
      await server.stop();
    }
  });
});

describe("the dashboard's image sets, made by a fixture import", { skip: skip || (!fs.existsSync(path.join(pydicom_files, "CT_small.dcm")) && "python3-pydicom's CT_small.dcm is absent") }, () => {
  const browser = use_browser();
  let server, s3_dir;
  before(async () => {
    s3_dir = fs.mkdtempSync(path.join(os.tmpdir(), "hil-ui-s3-"));
    fs.mkdirSync(path.join(s3_dir, "input", "ct"), { recursive: true });
    fs.mkdirSync(path.join(s3_dir, "output"), { recursive: true });
    fs.copyFileSync(path.join(pydicom_files, "CT_small.dcm"), path.join(s3_dir, "input", "ct", "CT_small.dcm"));
    const fixture = path.join(s3_dir, "fixture.json");
    fs.writeFileSync(fixture, JSON.stringify({
      region: "*",
      datastores: [{ datastoreId: "a1b2c3d4e5f60718293a4b5c6d7e8f90", datastoreName: "seeded-ct", datastoreStatus: "ACTIVE" }],
      imports: [{ datastoreId: "a1b2c3d4e5f60718293a4b5c6d7e8f90", jobName: "seed-ct-small", inputS3Uri: "s3://input/ct/", outputS3Uri: "s3://output/" }],
    }));
    server = await start_server({ fixtures: fixture, flags: ["--s3-dir", s3_dir, "--auth", "sigv4"] });
  });
  after(async () => {
    await server?.stop();
    if (s3_dir) fs.rmSync(s3_dir, { recursive: true, force: true });
  });

  test("lists the image set and shows its versions, frames and metadata tree (also with --auth sigv4)", async () => {
    const { page, problems } = await open_page(browser.context, `${server.endpoint}/_emulator/ui#image-sets`);
    const row = page.locator("#image-sets tbody tr", { hasText: "seeded-ct" });
    await row.waitFor();
    await row.getByRole("button").click();
    await page.locator("#image-set-detail").waitFor({ state: "visible" });
    await page.locator("#image-set-versions tbody tr").first().getByText("1", { exact: true }).waitFor();
    const frames = page.locator("#image-set-frames tbody tr");
    assert.equal(await frames.count(), 1);
    assert.match(await frames.first().textContent(), /128 × 128\d+$/);  // CT_small: 128 x 128, and its CRC32
    const tree = page.locator("#image-set-metadata");
    await tree.locator("summary", { hasText: "Patient" }).first().waitFor();
    await tree.locator("summary", { hasText: "Study" }).first().click();
    await tree.locator("summary", { hasText: "Series" }).first().waitFor();
    await shoot(page, "dashboard-image-set");
    assert.deepEqual(problems(), []);
  });
});
