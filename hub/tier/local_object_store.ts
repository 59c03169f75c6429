/**
 * The cold tier in a local folder, the embedded default: each key is a file
 * under the root, written to a temporary name and renamed into place, so a
 * crash never leaves a half-written object under its real key.
 *
 * @module
 */
import { dirname, join, relative, resolve, sep } from "node:path";
import { md5File } from "./etag.ts";
import type { ObjectInfo, ObjectStore } from "./object_store.ts";

/** Archived objects move under this folder (a folder has no storage classes). */
export const LOCAL_ARCHIVE_DIR = "_archive";
const TEMP_MARK = ".tmp-";

/**
 * A folder as an object store.
 *
 * @example
 * ```ts
 * const store = new LocalObjectStore("./data/hub/cold");
 * await store.put("kind=readings/date=2026-11-20/part-1.parquet", "/tmp/x.parquet", {});
 * ```
 */
export class LocalObjectStore implements ObjectStore {
  readonly root: string;
  readonly description: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.description = `local:${this.root}`;
  }

  async put(key: string, file: string, _metadata: Record<string, string>): Promise<void> {
    const dest = this.#path(key);
    await Deno.mkdir(dirname(dest), { recursive: true });
    const temp = `${dest}${TEMP_MARK}${crypto.randomUUID().slice(0, 8)}`;
    try {
      await Deno.copyFile(file, temp);
      using handle = await Deno.open(temp, { read: true, write: true });
      await handle.sync();
      await Deno.rename(temp, dest);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
  }

  expectedEtag(file: string): Promise<string> {
    return md5File(file);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    for (
      const [path, storageClass] of [[this.#path(key), "STANDARD"], [
        this.#path(join(LOCAL_ARCHIVE_DIR, key)),
        "ARCHIVE",
      ]] as const
    ) {
      try {
        const stat = await Deno.stat(path);
        // Reading the file back is the verification: the MD5 is of what is on disk.
        return {
          key,
          size: stat.size,
          etag: await md5File(path),
          storageClass,
          lastModified: stat.mtime ?? new Date(0),
        };
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    return undefined;
  }

  async download(key: string, dest: string): Promise<void> {
    await Deno.mkdir(dirname(dest), { recursive: true });
    await Deno.copyFile(this.#path(key), dest);
  }

  async delete(key: string): Promise<void> {
    for (const path of [this.#path(key), this.#path(join(LOCAL_ARCHIVE_DIR, key))]) {
      await Deno.remove(path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: Deno.DirEntry[];
      try {
        entries = await Array.fromAsync(Deno.readDir(dir));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return;
        throw error;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory) {
          if (dir === this.root && entry.name === LOCAL_ARCHIVE_DIR) continue;
          await walk(path);
        } else if (entry.isFile && !entry.name.includes(TEMP_MARK)) {
          const key = relative(this.root, path).split(sep).join("/");
          if (!key.startsWith(prefix)) continue;
          const stat = await Deno.stat(path);
          found.push({
            key,
            size: stat.size,
            etag: "",
            storageClass: "STANDARD",
            lastModified: stat.mtime ?? new Date(0),
          });
        }
      }
    };
    await walk(this.root);
    return found.sort((a, b) => a.key.localeCompare(b.key));
  }

  async archive(key: string, _storageClass: string): Promise<void> {
    const dest = this.#path(join(LOCAL_ARCHIVE_DIR, key));
    await Deno.mkdir(dirname(dest), { recursive: true });
    await Deno.rename(this.#path(key), dest);
  }

  close(): void {}

  /** The file of `key`; refuses keys that would leave the root. */
  #path(key: string): string {
    const path = resolve(this.root, key);
    if (key.startsWith("/") || !path.startsWith(this.root + sep)) {
      throw new Error(`object key ${JSON.stringify(key)} leaves the store root`);
    }
    return path;
  }
}
