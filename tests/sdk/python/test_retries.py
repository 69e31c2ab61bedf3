"""What botocore's retry logic does with the emulator's 429 and 500 answers (contract section
6.2): legacy mode (the default) makes up to 5 attempts, standard mode 3. Backoff is real
(up to 1 s + 2 s per call here), so each case uses exactly the retries it needs."""
import unittest

import hil_harness


class RetryTest(hil_harness.ServerTestCase):
    def test_legacy_default_retries_two_throttling_exceptions(self):
        out = self.get(self.make_client(), "pylegacythrottle2")
        self.assertEqual(out["jobProperties"]["jobId"], "pylegacythrottle2")
        self.assertEqual(out["ResponseMetadata"]["RetryAttempts"], 2)

    def test_legacy_default_retries_two_internal_server_exceptions(self):
        out = self.get(self.make_client(), "pylegacyinternal2")
        self.assertEqual(out["jobProperties"]["jobId"], "pylegacyinternal2")
        self.assertEqual(out["ResponseMetadata"]["RetryAttempts"], 2)

    def test_standard_mode_retries_two_throttling_exceptions(self):
        out = self.get(self.make_client(retries={"mode": "standard"}), "pystdthrottle2")
        self.assertEqual(out["jobProperties"]["jobId"], "pystdthrottle2")
        self.assertEqual(out["ResponseMetadata"]["RetryAttempts"], 2)

    def test_standard_mode_gives_up_after_three_attempts(self):
        client = self.make_client(retries={"mode": "standard"})
        with self.assertRaises(client.exceptions.ThrottlingException) as caught:
            self.get(client, "pystdthrottle5")
        meta = caught.exception.response["ResponseMetadata"]
        self.assertEqual(meta["HTTPStatusCode"], 429)
        self.assertEqual(meta["RetryAttempts"], 2)
        # The fault had 5 answers and the failed call used 3: the next call meets the last 2
        # and then gets through, which shows the emulator counted every attempt once.
        out = self.get(client, "pystdthrottle5")
        self.assertEqual(out["ResponseMetadata"]["RetryAttempts"], 2)


if __name__ == "__main__":
    unittest.main()
