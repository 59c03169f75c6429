/**
 * Internal: the process tier_crash_test.ts SIGKILLs. It opens the hub's
 * DuckDB in `Deno.args[0]`, fills three hours of readings, and runs a tier
 * pass against the S3 endpoint `Deno.args[1]`; right after the first object
 * is uploaded and verified (before the catalog/delete transaction commits) it
 * prints `UPLOADED <key>` and waits to be killed.
 *
 * @module
 */
import { openTierTestEnv, SECOND, T0 } from "../../hub/tier/_test_env.ts";
import { insertSyntheticRows } from "../../hub/tier/synthetic_rows.ts";
import { S3ObjectStore } from "../../hub/tier/s3_object_store.ts";
import { S3PROXY_ACCESS_KEY, S3PROXY_SECRET_KEY } from "../harness/s3proxy.ts";
import { s3Config } from "./_tier_s3_env.ts";

const [dir, endpoint] = Deno.args;
const store = new S3ObjectStore(
  s3Config(endpoint!, "cold", {
    accessKeyId: S3PROXY_ACCESS_KEY,
    secretAccessKey: S3PROXY_SECRET_KEY,
  }),
);
const env = await openTierTestEnv({
  dir,
  store,
  configure: (c) => {
    c.kinds.readings.hot_retention_s = 3600;
  },
  faults: {
    afterUpload: async (key) => {
      console.log(`UPLOADED ${key}`);
      // Keep the process (and its open transaction) alive until the test kills it.
      await new Promise(() => setInterval(() => {}, 1000));
    },
  },
});
const connection = await env.store.connect();
await insertSyntheticRows(connection, "readings", {
  fromNs: T0,
  rows: 3 * 360,
  stepNs: 10n * SECOND,
});
// A checkpoint, so the rows are in the file itself and not only in the WAL.
await connection.run("CHECKPOINT");
connection.closeSync();
env.setNow(T0 + 3n * 3600n * SECOND);
console.log("FILLED");
await env.tier.runPass();
console.log("PASS ENDED WITHOUT THE FAULT");
