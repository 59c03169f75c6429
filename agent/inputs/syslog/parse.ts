/**
 * Parses one syslog message, RFC 5424 or RFC 3164 (BSD), into the parts a
 * log row needs. The text is untrusted: anything that is not a syslog
 * message comes back as a reason to reject it, never as an exception.
 *
 * - RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`, each
 *   header field `-` when absent; structured data `[id k="v" ...]...` with
 *   the escapes `\"`, `\\` and `\]`; a UTF-8 BOM before MSG is dropped.
 * - RFC 3164: `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`. The timestamp
 *   has no year and no zone: it is read in the agent's local time zone, in
 *   the current year, or the previous one when that would put it more than
 *   a day in the future (a December message read in January).
 *
 * @module
 */
import type { LogLevel } from "@tributary/shared/records";
import { parseLeadingRfc3339 } from "../tail/timestamp.ts";

/** The facility names of RFC 5424 section 6.2.1, by code. */
export const FACILITIES = [
  "kern",
  "user",
  "mail",
  "daemon",
  "auth",
  "syslog",
  "lpr",
  "news",
  "uucp",
  "cron",
  "authpriv",
  "ftp",
  "ntp",
  "security",
  "console",
  "solaris-cron",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
] as const;

/** The severity names, by code (0 = emergency). */
export const SEVERITIES = [
  "emerg",
  "alert",
  "crit",
  "err",
  "warning",
  "notice",
  "info",
  "debug",
] as const;

/** Severity code → row level: emerg, alert and crit are fatal; notice is info. */
export const SEVERITY_LEVELS: readonly LogLevel[] = [
  "fatal",
  "fatal",
  "fatal",
  "error",
  "warn",
  "info",
  "info",
  "debug",
];

/** A parsed message. Absent header fields are `""`. */
export interface SyslogMessage {
  format: "rfc5424" | "rfc3164";
  facility: number;
  severity: number;
  /** The message's own time, ns since the epoch; `undefined` when it has none (5424 `-`). */
  tsNs: bigint | undefined;
  hostname: string;
  app: string;
  procid: string;
  msgid: string;
  /** RFC 5424 structured data: element id → parameter → value (last one wins). */
  structured: Record<string, Record<string, string>>;
  message: string;
}

/** Why a text is not a syslog message. */
export type ParseProblem = "malformed";

/** The result of {@linkcode parseSyslog}. */
export type ParseResult = { ok: true; value: SyslogMessage } | {
  ok: false;
  reason: ParseProblem;
  detail: string;
};

const PRI = /^<(\d{1,3})>/;
const BSD_TIME = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) /;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const BSD_TAG = /^([^\s:\[\]]{1,48})(?:\[([^\]\s]{1,32})\])?:\s?/;

function fail(detail: string): ParseResult {
  return { ok: false, reason: "malformed", detail };
}

/**
 * Parses `text` (already decoded; framing removed). `nowMs` is the agent
 * clock, used for the RFC 3164 year.
 *
 * @example
 * ```ts
 * const r = parseSyslog("<34>1 2024-05-01T00:00:00Z host su - ID47 - 'su root' failed", Date.now());
 * // r.ok && r.value: facility 4 (auth), severity 2 (crit), app "su", msgid "ID47"
 * ```
 */
export function parseSyslog(text: string, nowMs: number): ParseResult {
  const pri = PRI.exec(text);
  if (pri === null) return fail("no <PRI> at the start");
  const priValue = Number(pri[1]);
  if (priValue > 191 || (pri[1]!.length > 1 && pri[1]![0] === "0")) {
    return fail(`PRI ${pri[1]} is not 0 to 191`);
  }
  const rest = text.slice(pri[0].length);
  const facility = priValue >> 3;
  const severity = priValue & 7;
  if (rest.startsWith("1 ")) return parse5424(rest.slice(2), facility, severity);
  return parse3164(rest, facility, severity, nowMs);
}

function parse5424(text: string, facility: number, severity: number): ParseResult {
  // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID: five space-separated tokens.
  const parts: string[] = [];
  let at = 0;
  for (let i = 0; i < 5; i++) {
    const space = text.indexOf(" ", at);
    if (space === -1) return fail("RFC 5424 header cut short");
    const token = text.slice(at, space);
    if (token === "") return fail("RFC 5424 header has an empty field");
    parts.push(token);
    at = space + 1;
  }
  const [time, hostname, app, procid, msgid] = parts as [string, string, string, string, string];
  let tsNs: bigint | undefined;
  if (time !== "-") {
    const parsed = parseLeadingRfc3339(time);
    if (parsed === undefined || parsed.length !== time.length) {
      return fail(`RFC 5424 timestamp ${JSON.stringify(time.slice(0, 40))} is not RFC 3339`);
    }
    tsNs = parsed.tsNs;
  }
  const sd = parseStructuredData(text, at);
  if (typeof sd === "string") return fail(sd);
  let message = text.slice(sd.end);
  if (message.startsWith(" ")) message = message.slice(1);
  else if (message !== "") return fail("no space after the structured data");
  if (message.startsWith("\uFEFF")) message = message.slice(1);
  return {
    ok: true,
    value: {
      format: "rfc5424",
      facility,
      severity,
      tsNs,
      hostname: nil(hostname),
      app: nil(app),
      procid: nil(procid),
      msgid: nil(msgid),
      structured: sd.value,
      message,
    },
  };
}

function nil(token: string): string {
  return token === "-" ? "" : token;
}

/** Parses `-` or `[id k="v"...]...` at `start`; a string is the error. */
function parseStructuredData(
  text: string,
  start: number,
): { value: Record<string, Record<string, string>>; end: number } | string {
  const value: Record<string, Record<string, string>> = {};
  if (text[start] === "-") return { value, end: start + 1 };
  if (text[start] !== "[") return "structured data is neither - nor [...]";
  let at = start;
  while (text[at] === "[") {
    at++;
    const id = /^[^\s=\]"]{1,32}/.exec(text.slice(at, at + 33));
    if (id === null) return "structured data element without an id";
    at += id[0].length;
    const params: Record<string, string> = Object.create(null);
    while (text[at] === " ") {
      at++;
      const name = /^[^\s=\]"]{1,32}/.exec(text.slice(at, at + 33));
      if (
        name === null || text[at + name[0].length] !== "=" || text[at + name[0].length + 1] !== '"'
      ) {
        return 'structured data parameter is not name="value"';
      }
      at += name[0].length + 2;
      let val = "";
      for (;;) {
        const c = text[at];
        if (c === undefined) return "structured data value not closed";
        if (c === "\\" && (text[at + 1] === '"' || text[at + 1] === "\\" || text[at + 1] === "]")) {
          val += text[at + 1];
          at += 2;
        } else if (c === '"') {
          at++;
          break;
        } else {
          val += c;
          at++;
        }
      }
      params[name[0]] = val;
    }
    if (text[at] !== "]") return "structured data element not closed";
    at++;
    value[id[0]] = { ...params };
  }
  return { value, end: at };
}

function parse3164(
  text: string,
  facility: number,
  severity: number,
  nowMs: number,
): ParseResult {
  const time = BSD_TIME.exec(text);
  if (time === null) return fail("neither RFC 5424 (version 1) nor an RFC 3164 timestamp");
  const month = MONTHS.indexOf(time[1]!);
  const day = Number(time[2]!.trim());
  const [hour, minute, second] = [Number(time[3]), Number(time[4]), Number(time[5])];
  if (month === -1 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return fail(`RFC 3164 timestamp ${JSON.stringify(time[0].trim())} is not a date`);
  }
  const now = new Date(nowMs);
  let date = new Date(now.getFullYear(), month, day, hour, minute, Math.min(second, 59));
  if (date.getTime() > nowMs + 86_400_000) {
    date = new Date(now.getFullYear() - 1, month, day, hour, minute, Math.min(second, 59));
  }
  if (date.getDate() !== day) return fail(`RFC 3164 date ${time[1]} ${day} does not exist`);
  let rest = text.slice(time[0].length);
  // HOSTNAME, then TAG[PID]: (a message without a hostname is common from local senders,
  // but then the first word ends with a colon and is the tag).
  let hostname = "";
  const firstSpace = rest.indexOf(" ");
  const firstWord = firstSpace === -1 ? rest : rest.slice(0, firstSpace);
  if (firstSpace !== -1 && !firstWord.endsWith(":") && !/\]:?$/.test(firstWord)) {
    hostname = firstWord;
    rest = rest.slice(firstSpace + 1);
  }
  let app = "";
  let procid = "";
  const tag = BSD_TAG.exec(rest);
  if (tag !== null) {
    app = tag[1]!;
    procid = tag[2] ?? "";
    rest = rest.slice(tag[0].length);
  }
  return {
    ok: true,
    value: {
      format: "rfc3164",
      facility,
      severity,
      tsNs: BigInt(date.getTime()) * 1_000_000n,
      hostname,
      app,
      procid,
      msgid: "",
      structured: {},
      message: rest,
    },
  };
}
