// What the JS SDK's retry logic does with the emulator's 429 and 500 answers (contract
// section 6.1): the default standard mode makes 3 attempts in all, then gives up.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ThrottlingException } from "@aws-sdk/client-medical-imaging";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";

import { get_job as get, make_client, use_server } from "./harness.mjs";

// No retry settings: exactly what a user gets. Throttling backoff is up to 1 s + 2 s here.
const server = use_server({ client: {} });

test("two ThrottlingExceptions (429) are retried and the third attempt succeeds", async () => {
  const out = await get(server.client, "jsthrottle2");
  assert.equal(out.jobProperties.jobId, "jsthrottle2");
  assert.equal(out.$metadata.attempts, 3);
  assert.ok(out.$metadata.totalRetryDelay > 0, "the SDK should have backed off between attempts");
});

test("two InternalServerExceptions (500) are retried and the third attempt succeeds", async () => {
  const out = await get(server.client, "jsinternal2");
  assert.equal(out.jobProperties.jobId, "jsinternal2");
  assert.equal(out.$metadata.attempts, 3);
});

test("throttling longer than 3 attempts fails with ThrottlingException after exactly 3", async () => {
  await assert.rejects(get(server.client, "jsthrottle5"), (err) => {
    assert.ok(err instanceof ThrottlingException, `got ${err?.name}: ${err?.message}`);
    assert.equal(err.$metadata.httpStatusCode, 429);
    assert.equal(err.$metadata.attempts, 3);
    return true;
  });
  // The fault had 5 answers and the failed call used 3: the next call meets the last 2 and
  // then gets through, which shows the emulator counted every attempt once.
  const quick = make_client(server.endpoint, { retryStrategy: new ConfiguredRetryStrategy(3, 1) });
  try {
    const out = await get(quick, "jsthrottle5");
    assert.equal(out.$metadata.attempts, 3);
  } finally {
    quick.destroy();
  }
});

test("a ConfiguredRetryStrategy raises the attempts and shortens the backoff", async () => {
  // 5 attempts, 1 ms between them: four 429s, then success.
  const quick = make_client(server.endpoint, { retryStrategy: new ConfiguredRetryStrategy(5, 1) });
  try {
    const started = performance.now();
    const out = await get(quick, "jsconfigured4");
    assert.equal(out.$metadata.attempts, 5);
    assert.ok(performance.now() - started < 2000, "1 ms backoff should not take seconds");
  } finally {
    quick.destroy();
  }
});
