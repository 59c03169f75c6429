/**
 * The Deno-std assertion names, built on `node:assert` because JSR (and so
 * `@std/assert`) cannot be reached from our machines.
 *
 * @module
 */
import assertNode from "node:assert/strict";

/** Throws unless `condition` is truthy. */
export function assert(condition: unknown, message?: string): asserts condition {
  assertNode.ok(condition, message);
}

/** Deep, strict equality (typed arrays, bigint, Map and Set included). */
export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  assertNode.deepStrictEqual(actual, expected, message);
}

/** Deep, strict inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  assertNode.notDeepStrictEqual(actual, expected, message);
}

/** Throws unless `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  assertNode.match(text, pattern, message);
}

/** Throws unless `fn` throws an instance of `errorClass` (and, if given, a message containing `includes`). */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  errorClass?: abstract new (...args: never[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    checkError(error, errorClass, includes);
    return error as E;
  }
  throw new assertNode.AssertionError({ message: "expected the function to throw" });
}

/** Throws unless `fn` rejects with an instance of `errorClass` (and a message containing `includes`). */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  errorClass?: abstract new (...args: never[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    checkError(error, errorClass, includes);
    return error as E;
  }
  throw new assertNode.AssertionError({ message: "expected the promise to reject" });
}

function checkError(
  error: unknown,
  errorClass: (abstract new (...args: never[]) => Error) | undefined,
  includes: string | undefined,
): void {
  if (errorClass && !(error instanceof errorClass)) {
    throw new assertNode.AssertionError({
      message: `expected ${errorClass.name}, got ${
        error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      }`,
    });
  }
  if (includes !== undefined && !(error instanceof Error && error.message.includes(includes))) {
    throw new assertNode.AssertionError({
      message: `expected the error message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify(error instanceof Error ? error.message : String(error))
      }`,
    });
  }
}
