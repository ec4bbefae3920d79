import type { ReactNode } from 'react';
import { fieldLabel, validationMessage } from '../api/problem';
import type { Problem } from '../contract-types';

interface ProblemAlertProps {
  problem: Problem;
  /** Field errors already shown next to their fields (as `body.email` etc.); the rest are listed here. */
  fieldsShown?: string[];
  onRetry?: () => void;
  /** The main message, when the screen can say it better than the API's detail. */
  summary?: string | undefined;
  /** What else the operator should know, e.g. that a retry reuses the idempotency key. */
  children?: ReactNode;
}

/**
 * A failed call as the operator sees it: what went wrong in the API's words (its detail,
 * never the HTTP status title or request keys like `body.phone`), field errors that have no
 * field on screen, labelled as the operator knows the field, and, small, the problem's code
 * and correlation id to quote to support.
 */
export function ProblemAlert({ problem, fieldsShown = [], onRetry, summary, children }: ProblemAlertProps) {
  const otherErrors = (problem.errors ?? []).filter((error) => !fieldsShown.includes(error.field));
  const isValidation = problem.code === 'VALIDATION_FAILED';
  const message =
    summary ??
    (isValidation
      ? otherErrors.length > 0
        ? 'Some values need a change:'
        : 'Some values need a change: see the messages next to the fields.'
      : (problem.detail ?? problem.title));
  return (
    <div role="alert" className="problem">
      <p className="problem-title">
        <strong>{message}</strong>
      </p>
      {otherErrors.length > 0 && (
        <ul className="problem-errors">
          {otherErrors.map((error) => (
            <li key={`${error.field} ${error.message}`}>
              {fieldLabel(error.field)}:{' '}
              {isValidation
                ? validationMessage(error.message, undefined, error.field.replace(/^\w+\./, ''))
                : error.message}
            </li>
          ))}
        </ul>
      )}
      {children}
      <p className="correlation">
        {problem.code && <code className="problem-code">{problem.code}</code>}
        {problem.correlationId && (
          <>
            {problem.code && ' · '}
            Correlation id for support: <code data-testid="correlation-id">{problem.correlationId}</code>
          </>
        )}
      </p>
      {onRetry && (
        <button type="button" className="button secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
