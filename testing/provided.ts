/** Values the global setup hands to every test file through `inject()`. */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the PostgreSQL server shared by the whole test run. */
    pgUrl: string;
  }
}

export {};
