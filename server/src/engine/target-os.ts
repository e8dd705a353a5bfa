/**
 * The minimum Windows version a driver targets, from a rule option (`minimumTargetOs`): whether an API or flag
 * a fix would introduce exists on every system the driver loads on.
 */

/** Named targets and their first build numbers. */
export const WINDOWS_BUILDS: Readonly<Record<string, number>> = {
  win7: 7600,
  win8: 9200,
  'win8.1': 9600,
  win10: 10240,
  'win10-2004': 19041,
  win11: 22000,
};

/** The build number of a `minimumTargetOs` value (a name above or a build number), or undefined when unset or unknown. */
export function targetBuild(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(WINDOWS_BUILDS, value) ? WINDOWS_BUILDS[value] : undefined;
}
