import {
  catalog,
  type ErrorDetails,
  type ErrorName,
} from '../../generated/workflow-cloud/errors.ts';
import { ApiError, type DetailsArgs } from '../platform/api-error.ts';

export type { ErrorName };
export { catalog };

/**
 * A workflow-cloud answer with a catalog code (HTTP 200, `{code, msg, data}`), its details typed
 * by the catalog: `throw new WorkflowCloudError('APIKEY_TASK_IS_RUNNING')`.
 */
export class WorkflowCloudError<Name extends ErrorName = ErrorName> extends ApiError<Name> {
  constructor(code: Name, ...[details, options]: DetailsArgs<ErrorDetails[Name]>) {
    super(code, details, options);
  }
}
