import { catalog, type ErrorDetails, type ErrorName } from '../../generated/divination/errors.ts';
import { ApiError, type DetailsArgs } from '../platform/api-error.ts';

export type { ErrorName };
export { catalog };

/**
 * A divination answer with a catalog code (an RFC 9457 problem), its details typed by the
 * catalog: `throw new DivinationError('AGENT_SESSION_NOT_FOUND', { thread_id })`.
 */
export class DivinationError<Name extends ErrorName = ErrorName> extends ApiError<Name> {
  constructor(code: Name, ...[details, options]: DetailsArgs<ErrorDetails[Name]>) {
    super(code, details, options);
  }
}
