// Every bad schedule, dueTime, ttl or interval is a 400 with Dapr's ScheduleJob error code and the
// name of the request field at fault.
import { InvalidRequestError } from '../errors.js';

export const SCHEDULE_JOB_CODE = 'DAPR_SCHEDULER_SCHEDULE_JOB';

export function invalidField(field: string, message: string): InvalidRequestError {
  return new InvalidRequestError(SCHEDULE_JOB_CODE, message, field);
}
