/**
 * Internal: tier test fixtures against a real S3Proxy — the S3 store config
 * for a running server, and the `aws` CLI (Debian/pip `awscli`) and pyarrow
 * as independent checkers of what the hub wrote.
 *
 * @module
 */
import { defaultTierConfig, type S3TierConfig } from "../../hub/tier/config.ts";

/** The `[tier.s3]` settings for an S3Proxy at `endpoint`. */
export function s3Config(
  endpoint: string,
  bucket: string,
  keys: { accessKeyId: string; secretAccessKey: string },
  overrides: Partial<S3TierConfig> = {},
): S3TierConfig {
  return {
    ...defaultTierConfig().s3,
    endpoint,
    bucket,
    access_key_id: keys.accessKeyId,
    secret_access_key: keys.secretAccessKey,
    max_attempts: 2,
    ...overrides,
  };
}

/** Runs the `aws` CLI against `endpoint`; returns stdout, throws with stderr on failure. */
export async function awsCli(
  endpoint: string,
  env: Record<string, string>,
  ...args: string[]
): Promise<string> {
  const out = await new Deno.Command("aws", {
    args: ["--endpoint-url", endpoint, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`aws ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** Every key in `bucket`, listed by the aws CLI. */
export async function awsListKeys(
  endpoint: string,
  env: Record<string, string>,
  bucket: string,
): Promise<string[]> {
  const text = await awsCli(endpoint, env, "s3api", "list-objects-v2", "--bucket", bucket);
  if (text.trim() === "") return [];
  const parsed = JSON.parse(text) as { Contents?: { Key: string }[] };
  return (parsed.Contents ?? []).map((c) => c.Key).sort();
}

/**
 * Reads a Parquet file with pyarrow (an independent reader) and returns its
 * schema as `[[name, arrow type], ...]`, its row count and its compression codecs.
 */
export async function pyarrowDescribe(
  file: string,
): Promise<{ schema: [string, string][]; rows: number; codecs: string[]; rowGroups: number }> {
  const script = `
import json, sys
import pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
md = f.metadata
codecs = sorted({md.row_group(i).column(j).compression for i in range(md.num_row_groups) for j in range(md.num_columns)})
print(json.dumps({"schema": [[fld.name, str(fld.type)] for fld in t.schema], "rows": t.num_rows, "codecs": codecs, "rowGroups": md.num_row_groups}))
`;
  const out = await new Deno.Command("python3", {
    args: ["-c", script, file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`pyarrow could not read ${file}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
