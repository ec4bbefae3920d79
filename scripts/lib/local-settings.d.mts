// Types of local-settings.mjs (plain JavaScript, as npm start runs it) for the TypeScript
// that shares it: the console's server (operator-console/vite.config.ts) finds the parts'
// ports exactly as npm start does.

export interface LocalSettings {
  nodeEnv: string;
  databaseUrl: string;
  natsUrl: string;
  serviceToken: string | undefined;
  orchestratorInProcess: string;
  /** Each part's port: the environment (CUSTOMERS_PORT, …), else its .env (PORT, …), else the default. */
  ports: { customers: number; orders: number; orchestrator: number; orchestratorLambda: number };
}

/** The settings of the local system, and what is wrong with them (each a sentence). */
export function resolveLocalSettings(options?: {
  env?: Record<string, string | undefined>;
  /** The checkout whose part folders (customers-api/, …) hold the .env files. */
  root?: string;
}): { settings: LocalSettings; problems: string[] };
