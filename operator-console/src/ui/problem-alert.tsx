import type { ReactNode } from 'react';
import type { Problem } from '../contract-types';

interface ProblemAlertProps {
  problem: Problem;
  /** Field errors already shown next to their fields (as `body.email` etc.); the rest are listed here. */
  fieldsShown?: string[];
  onRetry?: () => void;
  /** What else the operator should know, e.g. that a retry reuses the idempotency key. */
  children?: ReactNode;
}

/**
 * A failed call as the operator sees it: the problem's title and detail, field errors that
 * have no field on screen, and the correlation id to quote to support.
 */
export function ProblemAlert({ problem, fieldsShown = [], onRetry, children }: ProblemAlertProps) {
  const otherErrors = (problem.errors ?? []).filter((error) => !fieldsShown.includes(error.field));
  return (
    <div role="alert" className="problem">
      <p className="problem-title">
        <strong>{problem.title}</strong>
        {problem.code && <code className="problem-code">{problem.code}</code>}
      </p>
      <p className="problem-detail">{problem.detail}</p>
      {otherErrors.length > 0 && (
        <ul className="problem-errors">
          {otherErrors.map((error) => (
            <li key={`${error.field} ${error.message}`}>
              <code>{error.field}</code> {error.message}
            </li>
          ))}
        </ul>
      )}
      {children}
      {problem.correlationId && (
        <p className="correlation">
          Correlation id for support: <code data-testid="correlation-id">{problem.correlationId}</code>
        </p>
      )}
      {onRetry && (
        <button type="button" className="button secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
