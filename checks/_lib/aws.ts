/** Small AWS facts shared by checkers. */

/** The ARN partition of a region: aws, aws-cn or aws-us-gov. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The SDK error name, or undefined for something that is not an SDK service error. */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AllAccessDisabled',
  'AuthorizationError',
]);

/** Errors of a region that is not enabled for the account (opt-in regions) or not reachable with its token. */
const REGION_UNAVAILABLE = new Set([
  'OptInRequired',
  'AuthFailure',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
]);

export function isAccessDenied(error: unknown): boolean {
  const name = errorName(error);
  return name !== undefined && ACCESS_DENIED.has(name);
}

export function isRegionUnavailable(error: unknown): boolean {
  const name = errorName(error);
  return name !== undefined && REGION_UNAVAILABLE.has(name);
}
