export type * from './contract';
export { LIVE_DEV_SERVER_STATES } from './contract';
export { parseTscOutput } from './diagnostics';
export { DEFAULT_INSTALL_SCRIPTS } from './install';
export { type JailProbe as LocalConfinement, probeJail as probeLocalConfinement } from './local/jail';
export { type ManifestPlan, planManifestMerge } from './manifest';
export { checkPackageSpec, type PackageCheck } from './packages';
export { checkProjectPath, type PathCheck } from './paths';
export { createSandboxProvider, DEFAULT_IMAGE, DEFAULT_LIMITS, DEFAULT_PORT_RANGE, sandboxConfigFromEnv } from './provider';
