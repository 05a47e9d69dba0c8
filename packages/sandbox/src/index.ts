export type * from './contract';
export { checkPackageSpec, type PackageCheck } from './packages';
export { checkProjectPath, type PathCheck } from './paths';
