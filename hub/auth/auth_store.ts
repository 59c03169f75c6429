/**
 * The auth store: API tokens (hashed) and the audit log, in a DuckDB file of
 * their own (`<data_dir>/auth.duckdb`), apart from the hot store. User SQL runs
 * on the hot store's instance, so a reader's `SELECT` can never see token
 * hashes or the audit log.
 *
 * While the hub runs it holds this file's lock; the `hub token` commands then
 * go through the admin API instead (see `hub/main.ts`).
 *
 * @module
 */
import {
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampNanosecondsValue,
} from "@duckdb/node-api";
import { nowNs } from "@tributary/shared/records";
import { isoFromNs } from "@tributary/shared/iso_time";
import { isRole, type Role } from "./roles.ts";
import { generateToken, generateTokenId, hashToken } from "./tokens.ts";

/** Who made a request. */
export interface Principal {
  /** Token id, or `"open"` when `[auth] mode = "open"` and no token was sent. */
  id: string;
  name: string;
  role: Role;
}

/** A token as listed (never its secret or hash). */
export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  /** ISO-8601 UTC. */
  created_at: string;
  /** ISO-8601 UTC, or null while valid. */
  revoked_at: string | null;
}

/** A new token; `token` is the secret, shown only this once. */
export interface CreatedToken extends TokenInfo {
  token: string;
}

/** One audited action. */
export interface AuditEntry {
  principal: Principal;
  /** e.g. `query`, `token.create`, `token.revoke`, `audit.read`, `forbidden`. */
  action: string;
  method: string;
  path: string;
  /** What was asked: the SQL text, the token name... cut to 2000 characters. */
  detail: string;
  /** HTTP status answered. */
  status: number;
  /** Rows in the answer (0 when none). */
  rows: number;
  /** Bytes of the answer body (0 when unknown). */
  bytes: number;
  durationMs: number;
}

/** An audit row as the API returns it. */
export interface AuditRecord {
  ts: string;
  token_id: string;
  token_name: string;
  role: string;
  action: string;
  method: string;
  path: string;
  detail: string;
  status: number;
  rows: number;
  bytes: number;
  duration_ms: number;
}

/** Filters of {@linkcode AuthStore.audit}. */
export interface AuditQuery {
  /** ns since the epoch, inclusive. */
  sinceNs?: bigint;
  /** ns since the epoch, exclusive. */
  untilNs?: bigint;
  action?: string;
  tokenName?: string;
  /** Newest first, at most this many. @default 1000 */
  limit?: number;
}

/** Options of {@linkcode AuthStore.open}. */
export interface AuthStoreOptions {
  /** The DuckDB file, or `":memory:"`. */
  path: string;
  /** Clock, ns since the epoch. @default nowNs */
  now?: () => bigint;
  /** Audit rows older than this are deleted (at open and every 1000 audit writes); 0 keeps them. @default 0 */
  auditRetentionNs?: bigint;
}

/** Audit writes between two prunings of old rows. */
const PRUNE_EVERY = 1000;

/** The DuckDB file name of the auth store inside `hub.data_dir`. */
export const AUTH_DB_FILE = "auth.duckdb";

const MAX_DETAIL_CHARS = 2000;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS api_tokens (
    id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, role VARCHAR NOT NULL,
    hash VARCHAR NOT NULL UNIQUE, created_at TIMESTAMP_NS NOT NULL, revoked_at TIMESTAMP_NS)`,
  `CREATE TABLE IF NOT EXISTS audit_log (
    ts TIMESTAMP_NS NOT NULL, token_id VARCHAR NOT NULL, token_name VARCHAR NOT NULL,
    role VARCHAR NOT NULL, action VARCHAR NOT NULL, method VARCHAR NOT NULL, path VARCHAR NOT NULL,
    detail VARCHAR NOT NULL, status INTEGER NOT NULL, "rows" BIGINT NOT NULL,
    bytes BIGINT NOT NULL, duration_ms DOUBLE NOT NULL)`,
];

/**
 * Tokens and audit log. Valid token hashes are held in memory (this process
 * is the file's only writer), so checking a token costs one SHA-256 and no query.
 *
 * @example
 * ```ts
 * const auth = await AuthStore.open({ path: "./data/hub/auth.duckdb" });
 * const { token } = await auth.createToken({ name: "alice", role: "reader" });
 * (await auth.authenticate(token))?.role; // "reader"
 * await auth.close();
 * ```
 */
export class AuthStore {
  readonly #instance: DuckDBInstance;
  readonly #db: DuckDBConnection;
  readonly #now: () => bigint;
  readonly #valid = new Map<string, Principal>();
  readonly #retentionNs: bigint;
  #writesSincePrune = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    instance: DuckDBInstance,
    db: DuckDBConnection,
    now: () => bigint,
    retentionNs: bigint,
  ) {
    this.#instance = instance;
    this.#db = db;
    this.#now = now;
    this.#retentionNs = retentionNs;
  }

  /**
   * Opens (or creates) the auth file.
   *
   * @throws the DuckDB error when the file cannot be opened, e.g. because a
   * running hub holds its lock (the message then contains "lock").
   */
  static async open(options: AuthStoreOptions): Promise<AuthStore> {
    const instance = await DuckDBInstance.create(options.path, {
      enable_external_access: "false",
    });
    let db: DuckDBConnection | undefined;
    try {
      db = await instance.connect();
      for (const sql of SCHEMA) await db.run(sql);
      const store = new AuthStore(
        instance,
        db,
        options.now ?? nowNs,
        options.auditRetentionNs ?? 0n,
      );
      await store.#pruneAudit();
      const reader = await db.runAndReadAll(
        "SELECT hash, id, name, role FROM api_tokens WHERE revoked_at IS NULL",
      );
      for (const [hash, id, name, role] of reader.getRows()) {
        if (isRole(role)) {
          store.#valid.set(String(hash), { id: String(id), name: String(name), role });
        }
      }
      return store;
    } catch (error) {
      db?.closeSync();
      instance.closeSync();
      throw error;
    }
  }

  /** Number of tokens that are not revoked. */
  get validTokenCount(): number {
    return this.#valid.size;
  }

  /** The principal of `token`, or undefined when it is unknown or revoked. */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (this.#valid.size === 0) return undefined;
    const principal = this.#valid.get(await hashToken(token));
    return principal && { ...principal };
  }

  /** Creates a token. The secret is in the answer only; the store keeps its hash. */
  createToken(spec: { name: string; role: Role }): Promise<CreatedToken> {
    return this.#serialize(async () => {
      const token = generateToken();
      const id = generateTokenId();
      const hash = await hashToken(token);
      const now = this.#now();
      await this.#db.run(
        "INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        [id, spec.name, spec.role, hash, new DuckDBTimestampNanosecondsValue(now)],
      );
      this.#valid.set(hash, { id, name: spec.name, role: spec.role });
      return {
        id,
        name: spec.name,
        role: spec.role,
        created_at: isoFromNs(now),
        revoked_at: null,
        token,
      };
    });
  }

  /** Every token, oldest first, revoked ones included. */
  listTokens(): Promise<TokenInfo[]> {
    return this.#serialize(async () => {
      const reader = await this.#db.runAndReadAll(
        `SELECT id, name, role, epoch_ns(created_at), epoch_ns(revoked_at)
         FROM api_tokens ORDER BY created_at, id`,
      );
      return reader.getRows().map(([id, name, role, created, revoked]) => ({
        id: String(id),
        name: String(name),
        role: role as Role,
        created_at: isoFromNs(created as bigint),
        revoked_at: revoked === null ? null : isoFromNs(revoked as bigint),
      }));
    });
  }

  /**
   * Revokes the token with id `idOrName`, or every valid token named so.
   * Resolves with the revoked tokens' ids (empty when nothing matched).
   */
  revokeToken(idOrName: string): Promise<string[]> {
    return this.#serialize(async () => {
      const reader = await this.#db.runAndReadAll(
        `UPDATE api_tokens SET revoked_at = $1
         WHERE (id = $2 OR name = $2) AND revoked_at IS NULL RETURNING id, hash`,
        [new DuckDBTimestampNanosecondsValue(this.#now()), idOrName],
      );
      const ids: string[] = [];
      for (const [id, hash] of reader.getRows()) {
        this.#valid.delete(String(hash));
        ids.push(String(id));
      }
      return ids;
    });
  }

  /** Appends one audit row. */
  recordAudit(entry: AuditEntry): Promise<void> {
    return this.#serialize(async () => {
      await this.#db.run(
        `INSERT INTO audit_log VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          new DuckDBTimestampNanosecondsValue(this.#now()),
          entry.principal.id,
          entry.principal.name,
          entry.principal.role,
          entry.action,
          entry.method,
          entry.path,
          entry.detail.slice(0, MAX_DETAIL_CHARS),
          entry.status,
          BigInt(entry.rows),
          BigInt(entry.bytes),
          entry.durationMs,
        ],
      );
      if (++this.#writesSincePrune >= PRUNE_EVERY) await this.#pruneAudit();
    });
  }

  /** Deletes audit rows older than the retention (none when it is 0). */
  async #pruneAudit(): Promise<void> {
    this.#writesSincePrune = 0;
    if (this.#retentionNs <= 0n) return;
    await this.#db.run("DELETE FROM audit_log WHERE ts < $1", [
      new DuckDBTimestampNanosecondsValue(this.#now() - this.#retentionNs),
    ]);
  }

  /** Audit rows matching `query`, newest first. */
  audit(query: AuditQuery = {}): Promise<AuditRecord[]> {
    return this.#serialize(async () => {
      const where: string[] = [];
      const params: (string | DuckDBTimestampNanosecondsValue | bigint)[] = [];
      const add = (clause: string, value: string | DuckDBTimestampNanosecondsValue) => {
        params.push(value);
        where.push(clause.replace("?", `$${params.length}`));
      };
      if (query.sinceNs !== undefined) {
        add("ts >= ?", new DuckDBTimestampNanosecondsValue(query.sinceNs));
      }
      if (query.untilNs !== undefined) {
        add("ts < ?", new DuckDBTimestampNanosecondsValue(query.untilNs));
      }
      if (query.action !== undefined) add("action = ?", query.action);
      if (query.tokenName !== undefined) add("token_name = ?", query.tokenName);
      params.push(BigInt(query.limit ?? 1000));
      const reader = await this.#db.runAndReadAll(
        `SELECT epoch_ns(ts), token_id, token_name, role, action, method, path, detail, status,
                "rows", bytes, duration_ms
         FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY ts DESC LIMIT $${params.length}`,
        params,
      );
      return reader.getRows().map((r) => ({
        ts: isoFromNs(r[0] as bigint),
        token_id: String(r[1]),
        token_name: String(r[2]),
        role: String(r[3]),
        action: String(r[4]),
        method: String(r[5]),
        path: String(r[6]),
        detail: String(r[7]),
        status: Number(r[8]),
        rows: Number(r[9]),
        bytes: Number(r[10]),
        duration_ms: Number(r[11]),
      }));
    });
  }

  /** Waits for the write in progress, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail.catch(() => {});
    this.#db.closeSync();
    this.#instance.closeSync();
  }

  #serialize<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("the auth store is closed"));
    const run = this.#tail.then(work, work);
    this.#tail = run.catch(() => {});
    return run;
  }
}
