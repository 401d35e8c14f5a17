import { roleBody, roleCode, roleValues } from '../catalog/platform.js';
import type { BodyAnswer, PlatformBlock } from '../catalog/types.d.ts';
import type { PlatformFailure } from './failures.ts';

/** The answer to a failure: the catalog code to send, or a documented body that is no code. */
export type RoleAnswer = { code: string } | BodyAnswer;

/** The answer the catalog gives a platform failure (validation: by its first issue's keyword). */
export function roleAnswer(platform: PlatformBlock, failure: PlatformFailure): RoleAnswer {
  const value =
    failure.role === 'validation'
      ? (platform.validation[failure.issues[0]?.keyword ?? 'default'] ??
        platform.validation.default)
      : platform[failure.role];
  const code = roleCode(value);
  return code === undefined ? (roleBody(value) as BodyAnswer) : { code };
}

/** The codes that answer a fault of the process or its database: logged as errors. */
export function faultCodes(platform: PlatformBlock): Set<string> {
  return new Set(
    [platform.internal, platform.databaseDown].flatMap((value) => roleCode(value) ?? []),
  );
}

/** Whether some role of the block is answered with a body that is no code (podi's 422). */
export function answersWithBodies(platform: PlatformBlock): boolean {
  return roleValues(platform).some((at) => roleBody(at.value) !== undefined);
}
