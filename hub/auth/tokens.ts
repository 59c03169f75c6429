/**
 * API tokens: 256 random bits, shown once, stored only as a SHA-256 hash.
 * A token reads `trb_<43 base64url characters>` so that it is recognisable in
 * a leaked log or config file.
 *
 * @module
 */

/** Prefix of every token. */
export const TOKEN_PREFIX = "trb_";

/** A new random token (256 bits). */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return TOKEN_PREFIX + base64url(bytes);
}

/** A new random token id (64 bits, hex): names a token in lists, audit rows and revocation. */
export function generateTokenId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * SHA-256 of the token text, lowercase hex: what the token store keeps.
 * A plain hash suffices (no salt or slow KDF) because tokens are 256 random
 * bits, not passwords a person chose.
 */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The token of an `Authorization: Bearer <token>` header value, or undefined. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}
