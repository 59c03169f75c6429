/**
 * The component model shared by agent inputs, agent transports and hub
 * consumers: a factory with a default config and a validator, and instances
 * that start and stop.
 *
 * @module
 */

/** A running part of a process. */
export interface Component {
  /** Starts the component. Resolves once it is ready to do its work. */
  start(): Promise<void>;
  /**
   * Stops the component and drains what it holds. Idempotent, and safe to call
   * before (or without) `start()`.
   */
  stop(): Promise<void>;
}

/**
 * Creates components of one type.
 *
 * `validate` turns untrusted config (parsed from a file, merged over
 * `defaultConfig()`) into a typed config or throws a `ConfigError` naming the
 * field, the value and what is allowed.
 */
export interface ComponentFactory<Config, Context, Instance extends Component> {
  /** The name used in config files, e.g. `mqtt` or `sim_sensors`. */
  readonly type: string;
  /** The config used where the file says nothing. */
  defaultConfig(): Config;
  /** Checks untrusted config; `field` is the dotted path used in error messages. */
  validate(raw: unknown, field: string): Config;
  /** Builds an instance; does not start it. */
  create(config: Config, context: Context): Instance;
}
