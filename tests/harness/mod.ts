/**
 * Test harness for Tributary's integration tests: real brokers and processes
 * on free loopback ports, bounded waits, and HTTP helpers.
 *
 * @module
 */
export * from "./free_port.ts";
export * from "./http.ts";
export * from "./kafka.ts";
export * from "./maven_fetch.ts";
export * from "./mosquitto.ts";
export * from "./process.ts";
export * from "./server_process.ts";
